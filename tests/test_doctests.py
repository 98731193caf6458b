"""The examples in the docstrings run, and the API reference covers the library.

Every ``>>>`` example of every module of ``lyaplearn`` is executed with
:mod:`doctest` and must print what its docstring shows (the API reference in
book/api/ renders the same docstrings, so what readers see is what the code
does). Outputs are written to hold on any machine: closed-form values, rounded
or compared with ``np.isclose``.

Every public module has a page ``book/api/<name>.md`` listed in ``_toc.yml``,
and every module with a page has at least one example. To document a new module
``lyaplearn.foo``: copy ``book/api/scalar.md`` to ``book/api/foo.md`` with the
name changed, add ``- file: book/api/foo`` to the "API reference" part of
``_toc.yml``, and give one of its docstrings an ``Examples`` section. A new
``lyaplearn.widgets.foo`` gets a section on ``book/api/widgets.md``; a new
``lyaplearn.teacher.foo`` its page ``book/api/teacher/foo.md``, listed in ``_toc.yml`` among
the ``sections`` of ``book/api/teacher``.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
import re
from pathlib import Path

import pytest
import yaml

import lyaplearn
from lyaplearn._moved import MOVED

pytestmark = pytest.mark.fp_sensitive

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "book" / "api"

#: Top-level modules that are not library API: the maintainer's command-line benchmark and
#: the reference solutions of the book's exercises.
NOT_API = {"maintainer", "solutions"}
#: The deprecated aliases of moved modules (lyaplearn/_moved.py): importing one warns and
#: gives the new module, whose own page and examples cover it.
ALIASES = set(MOVED)

MODULES = sorted(m.name for m in pkgutil.walk_packages(lyaplearn.__path__, "lyaplearn.",
                                                       onerror=lambda name: None)
                 if m.name not in ALIASES)
#: A public module: no part of its name private, not an alias, not below NOT_API; the
#: widgets' submodules are sections of one page (book/api/widgets.md).
PUBLIC = sorted(name.removeprefix("lyaplearn.") for name in MODULES
                if not any(part.startswith("_") for part in name.split("."))
                and name.split(".")[1] not in NOT_API and not name.startswith("lyaplearn.widgets."))
#: book/api/teacher/coursework.md is the page of lyaplearn.teacher.coursework
PAGES = sorted(".".join(p.relative_to(API).with_suffix("").parts) for p in API.rglob("*.md")
               if p.stem != "index")

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:  # an optional dependency of that module
        if exc.name and not exc.name.startswith("lyaplearn"):
            pytest.skip(f"{name} needs {exc.name}, which is not installed")
        raise


def _examples(module) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module.__name__) if t.examples]


def _documented(page: str) -> list[str]:
    text = (API / f"{page.replace('.', '/')}.md").read_text(encoding="utf-8")
    return re.findall(r"^\.\. automodule:: (\S+)", text, flags=re.M)


def test_modules_are_found():
    assert {"lyaplearn.scalar", "lyaplearn.recurrent", "lyaplearn.widgets"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    module = _import(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _examples(module):
        runner.run(test, out=out.write)
    assert runner.failures == 0, f"{name}: failing docstring examples\n{out.getvalue()}"


def test_every_public_module_has_an_api_page():
    assert {"scalar", "teacher", "teacher.coursework"} <= set(PUBLIC)
    missing = sorted(set(PUBLIC) - set(PAGES))
    assert not missing, (f"no API page for lyaplearn.{', lyaplearn.'.join(missing)}: add "
                         "book/api/<name>.md (copy scalar.md) and list it in _toc.yml")


def test_every_widget_module_is_on_the_widgets_page():
    widgets = [m for m in MODULES if m.startswith("lyaplearn.widgets.")]
    missing = sorted(set(widgets) - set(_documented("widgets")))
    assert not missing, f"add an automodule section to book/api/widgets.md for {missing}"


def test_every_api_page_is_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    parts = {p["caption"]: [c["file"] for c in p["chapters"]] for p in toc["parts"]}
    listed = parts["API reference"]
    assert listed[0] == "book/api/index"
    # a subpackage's modules are sections under its page
    (api,) = [p for p in toc["parts"] if p["caption"] == "API reference"]
    listed += [s["file"] for c in api["chapters"] for s in c.get("sections", [])
               if s["file"].startswith(c["file"] + "/")]
    assert sorted(listed[1:]) == sorted(f"book/api/{p.replace('.', '/')}" for p in PAGES)
    captions = list(parts)
    assert captions.index("API reference") == captions.index("Back matter") - 1


@pytest.mark.parametrize("page", PAGES)
def test_api_page_documents_its_module_with_an_example(page):
    documented = _documented(page)
    assert documented and documented[0] == f"lyaplearn.{page}", (page, documented)
    n = sum(len(t.examples) for name in documented for t in _examples(_import(name)))
    assert n >= 1, f"lyaplearn.{page} has no docstring example (an Examples section with >>>)"
