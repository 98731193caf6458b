"""Small Sphinx fixes for the lyaplearn website.

* sphinx-thebe (as bundled by Jupyter Book 1.x) registers its inline
  configuration script twice, so every page declared ``const THEBE_JS_URL``
  twice and the browser logged a SyntaxError. We drop exact duplicate
  script entries before each page is rendered.
* The API reference (book/api/) documents constants and dataclass fields from
  their ``#:`` comments. Napoleon reads a first line ``text: more`` of such a
  comment as ``type: description``; ours are prose (``r > 1``: theta grows),
  so we keep napoleon from splitting them.
* The project's public home (``repository.url`` in ``_config.yml``) drives the
  launch and repository buttons (:mod:`lyaplearn.teacher.publish`). While it is a
  placeholder, the buttons are switched off and a banner says so; with
  ``LYAPLEARN_PUBLISH=1`` (``make publish``) the build stops instead. Once set,
  the launch buttons open the *student copy* of a chapter from the published
  site (branch ``gh-pages``, ``_sources/``).
* After the build, every chapter's downloadable notebook (``_sources/``) is
  replaced by its student copy, without solutions or outputs, and
  ``binder/requirements.txt`` is written for Binder.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

LOG = logging.getLogger(__name__)
BANNER = """
========================================================================
  lyaplearn: the project's public home is NOT SET (repository.url in
  _config.yml is {url!r}). The website is built WITHOUT launch
  (Binder, Colab) and repository buttons, and the notebooks' install cells
  stop with an error. Set it, run `python -m lyaplearn.teacher.publish sync`,
  and build again (README, "Publishing").
========================================================================
"""


def _home(app, config):
    from lyaplearn.teacher import publish

    opts = config.html_theme_options
    url = opts.get("repository_url", "")
    if publish.is_placeholder(url):
        if os.environ.get("LYAPLEARN_PUBLISH") == "1":
            raise ExtensionError(f"refusing to publish: repository.url in _config.yml is the placeholder {url!r}; "
                                 "set the project's public home first (README, 'Publishing')")
        sys.stderr.write(BANNER.format(url=url))
        opts.pop("launch_buttons", None)
        opts.pop("repository_url", None)
        for key in ("use_repository_button", "use_issues_button", "use_edit_page_button", "use_source_button"):
            opts[key] = False
        app.lyaplearn_home = None
        return
    # the launch buttons open the student copies, published with the site on gh-pages
    opts["repository_branch"] = publish.PAGES_BRANCH
    opts["path_to_docs"] = "_sources"
    opts["use_edit_page_button"] = False
    app.lyaplearn_home = url.rstrip("/")


def _student_copies(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from lyaplearn.teacher import publish

    url = getattr(app, "lyaplearn_home", None)
    out = Path(app.outdir)
    for path in publish.chapters(Path(app.srcdir) / "book"):
        dest = out / "_sources" / "book" / path.name
        if not dest.parent.is_dir():
            continue
        nb = publish.student_copy(json.loads(path.read_text(encoding="utf-8")), url)
        text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if "{solution" in text:
            raise ExtensionError(f"the student copy of {path.name} still holds a solution")
        dest.write_text(text, encoding="utf-8")
    if url is not None:
        (out / "binder").mkdir(exist_ok=True)
        (out / "binder" / "requirements.txt").write_text(
            "--extra-index-url https://download.pytorch.org/whl/cpu\n"
            f"lyaplearn @ git+{url}\n", encoding="utf-8")


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
    app.connect("config-inited", _home, priority=100)
    app.connect("build-finished", _student_copies)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
