"""Small Sphinx fixes for the lyaplearn website.

* sphinx-thebe (as bundled by Jupyter Book 1.x) registers its inline
  configuration script twice, so every page declared ``const THEBE_JS_URL``
  twice and the browser logged a SyntaxError. We drop exact duplicate
  script entries before each page is rendered.
* The API reference (book/api/) documents constants and dataclass fields from
  their ``#:`` comments. Napoleon reads a first line ``text: more`` of such a
  comment as ``type: description``; ours are prose (``r > 1``: theta grows),
  so we keep napoleon from splitting them.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        # The copies differ only in filename None vs "" (inline scripts).
        key = (getattr(js, "filename", js) or "",
               repr(sorted(getattr(js, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    # In place: this list is the builder's, and extensions that run after us
    # (sphinx.ext.mathjax, myst-nb's widget scripts) append to it per page.
    scripts[:] = unique


def _attribute_docs_are_prose(app, what, name, obj, options, lines):
    # napoleon splits only the first non-empty line: make it an empty reST
    # comment, which renders as nothing.
    if what in ("data", "attribute") and any(line.strip() for line in lines):
        lines[:0] = ["..", ""]


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")  # defines the event below
    # Before napoleon's handler (priority 500) of the same event.
    app.connect("autodoc-process-docstring", _attribute_docs_are_prose, priority=400)
    # Early: html-page-context stops at the first handler that returns a value.
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    app.add_js_file("mathjax_widgets_shim.js", priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
