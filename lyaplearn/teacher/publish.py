"""Publishing: the project's public home, and the notebooks students download.

One setting names where the project lives: ``repository.url`` in ``_config.yml``
(a GitHub repository, ``https://github.com/<owner>/<name>``). Everything a reader
outside the website needs is derived from it:

* the install cell of every chapter notebook and of every coursework notebook
  (``%pip install "lyaplearn @ git+<home>"``; while the home is unset, the cell
  stops with an error that says so instead of installing from a wrong address);
* the website's launch buttons (Binder, Colab), which open the *student copy* of a
  chapter from the published site (the ``gh-pages`` branch that ``ghp-import``
  writes), and its repository button;
* the block of links in ``README.md`` between ``<!-- home -->`` and ``<!-- /home -->``.

While the setting is unset (empty, a placeholder such as ``OWNER/REPOSITORY``, or
``github.com/lyaplearn/lyaplearn``, which is not this project's repository), the
website is built without launch and repository buttons and the build says so in
a banner; with ``LYAPLEARN_PUBLISH=1`` (``make publish``) it refuses to build.
After changing the setting, ``python -m lyaplearn.teacher.publish sync`` rewrites the
install cells and the README block (a test checks that they agree with it).

Student copies (:func:`student_copy`) are the chapter notebooks without their
solutions and without outputs: the website's download button and launch buttons
give those, while the website itself keeps its folded solutions.

Examples
--------
>>> is_placeholder("https://github.com/OWNER/REPOSITORY"), is_placeholder("https://github.com/ada/lyaplearn")
(True, False)
>>> print(strip_solutions("Try it.\\n```{solution} ex-1\\n:class: dropdown\\n\\nIt is 4.\\n```\\nNext."))
Try it.
*(The solution is on the book's website.)*
Next.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

__all__ = ["PLACEHOLDERS", "checkout_root", "home", "is_placeholder", "install_line", "set_install_cell", "strip_solutions",
           "student_copy", "write_student_copies", "readme_block", "sync", "main"]

#: Values of ``repository.url`` that mean "not set yet".
PLACEHOLDERS = ("", "https://github.com/OWNER/REPOSITORY", "https://github.com/lyaplearn/lyaplearn")
#: The branch the published website lives on (``ghp-import`` writes ``gh-pages``).
PAGES_BRANCH = "gh-pages"
SOLUTION_NOTE = "*(The solution is on the book's website.)*"
_UNSET_LINE = ('raise RuntimeError("lyaplearn is not installed, and this book\'s public home is not set '
               '(repository.url in _config.yml): install lyaplearn yourself or use the website\'s copy")')
# the line an install cell may hold, either form, as it appears in a cell's source
_LINE = re.compile(r'%pip install --quiet "lyaplearn @ [^"\n]*"|raise RuntimeError\("lyaplearn is not installed[^\n]*\)')
# ... and as it appears inside a notebook file (JSON-escaped quotes)
_LINE_JSON = re.compile(r'%pip install --quiet \\"lyaplearn @ [^"\\\n]*\\"'
                        r'|raise RuntimeError\(\\"lyaplearn is not installed[^\n"]*?\\"\)')
_GITHUB = re.compile(r"https://github\.com/[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")


def checkout_root(root=None) -> Path:
    """The book's source tree that publishing reads and rewrites.

    ``root`` if given; else the git checkout the library is imported from (an editable install);
    else the nearest folder at or above the current one that holds ``_config.yml`` and ``book/``.
    Publishing needs the book's sources, which an installed wheel does not carry, so outside a
    checkout this raises a ``ValueError`` that says so.
    """
    if root is not None:
        path = Path(root)
        if not (path / "_config.yml").is_file():
            raise ValueError(f"root must be the book's checkout (a folder with _config.yml), got {str(path)!r}")
        return path
    from lyaplearn._paths import source_checkout

    found = source_checkout()
    if found is not None:
        return found
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "book").is_dir():
            return folder
    raise ValueError("publishing needs the book's sources: run it from a checkout of the repository "
                     "(a folder with _config.yml and book/), or pass root")


def is_placeholder(url) -> bool:
    """True if ``url`` does not name a real public home (unset, a placeholder or not a GitHub URL)."""
    if not isinstance(url, str):
        return True
    url = url.strip().rstrip("/")
    return url in PLACEHOLDERS or "OWNER" in url or not _GITHUB.fullmatch(url)


def home(config=None) -> str | None:
    """The project's public home from ``repository.url`` in ``config`` (default: the checkout's
    ``_config.yml``, :func:`checkout_root`), or None while it is unset."""
    import yaml

    path = checkout_root() / "_config.yml" if config is None else Path(config)
    if not path.is_file():
        raise ValueError(f"config must be an existing _config.yml, got {str(path)!r}")
    url = ((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("repository") or {}).get("url", "")
    return None if is_placeholder(url) else str(url).strip().rstrip("/")


def install_line(url: str | None) -> str:
    """The line of an install cell that installs lyaplearn from ``url`` (or says it cannot).

    >>> install_line("https://github.com/ada/lyaplearn")
    '%pip install --quiet "lyaplearn @ git+https://github.com/ada/lyaplearn"'
    """
    return _UNSET_LINE if url is None else f'%pip install --quiet "lyaplearn @ git+{url}"'


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def set_install_cell(nb: dict, url: str | None | bool = True) -> int:
    """Point the install cell(s) of the notebook ``nb`` (in place) at ``url``
    (``True``: the configured :func:`home`); returns how many lines were set."""
    if url is True:
        url = home()
    n = 0
    for cell in nb.get("cells", []):
        src = _source(cell)
        if cell.get("cell_type") == "code" and 'find_spec("lyaplearn")' in src and _LINE.search(src):
            cell["source"] = _LINE.sub(lambda m: install_line(url), src)
            n += 1
    return n


def strip_solutions(markdown: str) -> str:
    """``markdown`` without its ``{solution}`` directives (fenced with backticks or colons)."""
    out, lines, i = [], markdown.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^(\s*)(`{3,}|:{3,})\{solution(?:-start)?\}", lines[i])
        if m:
            fence = m.group(2)
            j = i + 1
            while j < len(lines) and not re.match(rf"^\s*{re.escape(fence)}\s*$", lines[j]):
                j += 1
            out.append(SOLUTION_NOTE)
            i = j + 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def student_copy(nb: dict, url: str | None | bool = True) -> dict:
    """A copy of the chapter notebook ``nb`` for students: no solutions, no outputs,
    the install cell pointing at ``url`` (the configured home by default)."""
    if not isinstance(nb, dict) or "cells" not in nb:
        raise ValueError("nb must be a notebook (a dict with 'cells'), as read by json.load")
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            cell["source"] = strip_solutions(_source(cell))
        elif cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    set_install_cell(nb, url)
    return nb


def chapters(book_dir=None) -> list[Path]:
    """The chapter notebooks ``NN_*.ipynb`` of ``book_dir`` (default: the checkout's ``book/``), in
    order (a new chapter is found by its name)."""
    if book_dir is None:
        book_dir = checkout_root() / "book"
    return sorted(Path(book_dir).glob("[0-9][0-9]_*.ipynb"))


def write_student_copies(out_dir, book_dir=None, url: str | None | bool = True) -> list[Path]:
    """Write :func:`student_copy` of every chapter notebook into ``out_dir`` (same file names)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters(book_dir):
        nb = student_copy(json.loads(path.read_text(encoding="utf-8")), url)
        dest = out / path.name
        dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(dest)
    return written


def launch_links(url: str | None, notebook: str) -> dict[str, str]:
    """Binder and Colab links that open the student copy of ``notebook`` from the published site."""
    if url is None:
        return {}
    owner_repo = url.split("github.com/", 1)[1]
    path = f"_sources/book/{notebook}"
    return {"Binder": f"https://mybinder.org/v2/gh/{owner_repo}/{PAGES_BRANCH}?urlpath=tree/{path}",
            "Colab": f"https://colab.research.google.com/github/{owner_repo}/blob/{PAGES_BRANCH}/{path}"}


def readme_block(url: str | None) -> str:
    """The README's block of links, between ``<!-- home -->`` and ``<!-- /home -->``."""
    if url is None:
        body = ("The project's public home is **not set**: `repository.url` in `_config.yml` is a "
                "placeholder, so the website is built without launch buttons and the notebooks' install "
                "cells stop with an error instead of installing from a wrong address. To publish, set it "
                "to your repository and run `python -m lyaplearn.teacher.publish sync` (see *Publishing* below).")
    else:
        owner_repo = url.split("github.com/", 1)[1]
        owner, repo = owner_repo.split("/", 1)
        site = f"https://{owner}.github.io/{repo}/"
        found = chapters()
        first = found[0].name if found else "01.ipynb"
        links = launch_links(url, first)
        body = (f"Home: <{url}> · website: <{site}> · install: `pip install \"lyaplearn @ git+{url}\"` · "
                f"chapter 1 on [Binder]({links['Binder']}) or [Colab]({links['Colab']}).")
    return f"<!-- home -->\n{body}\n<!-- /home -->"


def sync(root=None) -> list[Path]:
    """Rewrite the chapter notebooks' install lines and the README block of the checkout ``root``
    (default: :func:`checkout_root`) from the setting; returns the files changed. Only those lines
    change, byte for byte."""
    root = checkout_root(root)
    url = home(root / "_config.yml")
    changed = []
    new_line = json.dumps(install_line(url))[1:-1]
    for path in chapters(root / "book"):
        text = path.read_text(encoding="utf-8")
        new = _LINE_JSON.sub(lambda m: new_line, text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = re.sub(r"<!-- home -->.*?<!-- /home -->", lambda m: readme_block(url), text, flags=re.S)
    if new != text:
        readme.write_text(new, encoding="utf-8")
        changed.append(readme)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lyaplearn.teacher.publish", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("home", help="print the public home (exit 1 while it is unset)")
    sub.add_parser("sync", help="rewrite install cells and the README block from repository.url")
    p = sub.add_parser("students", help="write the student copies of the chapter notebooks")
    p.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "home":
        url = home()
        print(url or "unset: set repository.url in _config.yml")
        return 0 if url else 1
    if args.command == "sync":
        for path in sync():
            print(f"updated {path}")
        return 0
    for path in write_student_copies(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
