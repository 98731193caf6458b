"""The public home is one setting, and what students download has no solutions.

Checks that the install cells of the committed chapter notebooks and the README's
block of links agree with ``repository.url`` in ``_config.yml``; that the student
copies keep every exercise and lose every line of every solution; that the
website's build switches the launch buttons off (or refuses, for ``make publish``)
while the home is a placeholder; and that the package a student installs holds no
reference solutions.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

from lyaplearn.teacher import publish

pytestmark = pytest.mark.fp_insensitive

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = publish.chapters()


def _solution_blocks(text: str) -> list[str]:
    """Every ``{solution}`` block of a markdown text, found by its fences (independently of publish)."""
    return re.findall(r"^(`{3,}|:{3,})\{solution\}.*?\n(.*?)^\1[ \t]*$", text, flags=re.M | re.S)


def _markdown(nb) -> str:
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in nb["cells"] if c["cell_type"] == "markdown")


def test_chapters_are_discovered():
    assert [p.name[:2] for p in CHAPTERS] == [f"{i:02d}" for i in range(1, len(CHAPTERS) + 1)]
    assert len(CHAPTERS) >= 8


@pytest.mark.parametrize("url, placeholder", [
    ("", True), (None, True), ("https://github.com/OWNER/REPOSITORY", True),
    ("https://github.com/lyaplearn/lyaplearn", True), ("https://example.org/x/y", True),
    ("https://github.com/ada-lovelace/lyaplearn", False), ("https://github.com/ada/lyap.learn/", False),
])
def test_placeholders_are_recognised(url, placeholder):
    assert publish.is_placeholder(url) is placeholder


def test_home_is_read_from_the_config(tmp_path):
    cfg = tmp_path / "_config.yml"
    cfg.write_text("repository:\n  url: https://github.com/ada/lyaplearn/\n")
    assert publish.home(cfg) == "https://github.com/ada/lyaplearn"
    cfg.write_text("repository:\n  url: https://github.com/OWNER/REPOSITORY\n")
    assert publish.home(cfg) is None
    with pytest.raises(ValueError, match="config"):
        publish.home(tmp_path / "missing.yml")


def test_committed_install_cells_and_readme_follow_the_setting():
    """`python -m lyaplearn.teacher.publish sync` has been run since the setting last changed."""
    url = publish.home()
    want = publish.install_line(url)
    for path in CHAPTERS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        install = [c for c in nb["cells"] if c["cell_type"] == "code"
                   and 'find_spec("lyaplearn")' in "".join(c["source"])]
        assert len(install) == 1, f"{path.name}: expected one install cell"
        assert want in "".join(install[0]["source"]), f"{path.name}: run python -m lyaplearn.teacher.publish sync"
        assert "github.com/lyaplearn/lyaplearn" not in path.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert publish.readme_block(url) in readme


def test_unset_home_makes_the_install_cell_fail_loudly():
    nb = {"cells": [{"cell_type": "code", "source": 'if find_spec("lyaplearn") is None:\n'
                     '    %pip install --quiet "lyaplearn @ git+https://github.com/lyaplearn/lyaplearn"'}]}
    assert publish.set_install_cell(nb, None) == 1
    src = nb["cells"][0]["source"]
    assert "raise RuntimeError" in src and "public home is not set" in src and "%pip install" not in src
    assert publish.set_install_cell(nb, "https://github.com/ada/lyaplearn") == 1
    assert nb["cells"][0]["source"].endswith('%pip install --quiet "lyaplearn @ git+https://github.com/ada/lyaplearn"')


def test_sync_changes_only_the_derived_lines(tmp_path):
    (tmp_path / "book").mkdir()
    for path in CHAPTERS[:2]:
        (tmp_path / "book" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "README.md").write_text("intro\n<!-- home -->\nold\n<!-- /home -->\nrest\n")
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/ada/lyaplearn\n")
    changed = publish.sync(tmp_path)
    assert len(changed) == 3
    for path in CHAPTERS[:2]:
        old = path.read_text(encoding="utf-8").splitlines()
        new = (tmp_path / "book" / path.name).read_text(encoding="utf-8").splitlines()
        diff = [(a, b) for a, b in zip(old, new) if a != b]
        assert len(old) == len(new) and len(diff) == 1, f"{path.name}: only the install line may change"
        assert "git+https://github.com/ada/lyaplearn" in diff[0][1]
    readme = (tmp_path / "README.md").read_text()
    assert "https://ada.github.io/lyaplearn/" in readme and "colab.research.google.com/github/ada/lyaplearn/blob/gh-pages" in readme
    assert readme.startswith("intro\n") and readme.endswith("rest\n")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_copy_keeps_exercises_and_drops_every_solution(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    source = _markdown(nb)
    blocks = _solution_blocks(source)
    assert blocks, f"{path.name} has no solutions to hide"
    student = publish.student_copy(nb, "https://github.com/ada/lyaplearn")
    text = json.dumps(student, ensure_ascii=False)
    md = _markdown(student)
    assert "{solution" not in text and "lyaplearn/solutions" not in text
    assert md.count("{exercise}") == source.count("{exercise}")
    assert md.count(publish.SOLUTION_NOTE) == len(blocks)
    outside = re.sub(r"^(`{3,}|:{3,})\{solution\}.*?^\1[ \t]*$", "", source, flags=re.M | re.S)
    for _, body in blocks:
        for line in body.splitlines():
            line = line.strip()
            if len(line) >= 25 and line not in outside:
                assert line not in md, f"{path.name}: solution text survived: {line[:60]!r}"
    assert all(c.get("outputs", []) == [] for c in student["cells"] if c["cell_type"] == "code")
    assert publish.install_line("https://github.com/ada/lyaplearn") in text.replace('\\"', '"')


def test_write_student_copies(tmp_path):
    written = publish.write_student_copies(tmp_path / "student", url=None)
    assert [p.name for p in written] == [p.name for p in CHAPTERS]
    assert all("{solution" not in p.read_text(encoding="utf-8") for p in written)


def _site_extension():
    spec = importlib.util.spec_from_file_location("lyaplearn_site", ROOT / "book" / "_ext" / "lyaplearn_site.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake_app(url, tmp_path):
    opts = {"repository_url": url, "launch_buttons": {"colab_url": "https://colab.research.google.com"},
            "use_repository_button": True, "use_issues_button": True}
    out = tmp_path / "html"
    (out / "_sources" / "book").mkdir(parents=True)
    app = types.SimpleNamespace(outdir=str(out), srcdir=str(ROOT), builder=types.SimpleNamespace(format="html"))
    return app, types.SimpleNamespace(html_theme_options=opts), opts


def test_build_switches_launch_buttons_off_while_the_home_is_unset(tmp_path, monkeypatch, capsys):
    site = _site_extension()
    monkeypatch.delenv("LYAPLEARN_PUBLISH", raising=False)
    app, config, opts = _fake_app("https://github.com/OWNER/REPOSITORY", tmp_path)
    site._home(app, config)
    assert "launch_buttons" not in opts and not opts["use_repository_button"] and not opts["use_issues_button"]
    assert "public home is NOT SET" in capsys.readouterr().err
    monkeypatch.setenv("LYAPLEARN_PUBLISH", "1")
    with pytest.raises(Exception, match="refusing to publish"):
        site._home(*_fake_app("https://github.com/lyaplearn/lyaplearn", tmp_path / "b")[:2])


def test_build_points_launch_buttons_at_the_student_copies(tmp_path, monkeypatch):
    site = _site_extension()
    monkeypatch.setenv("LYAPLEARN_PUBLISH", "1")
    app, config, opts = _fake_app("https://github.com/ada/lyaplearn", tmp_path)
    site._home(app, config)
    assert opts["launch_buttons"] and opts["repository_branch"] == "gh-pages" and opts["path_to_docs"] == "_sources"
    sources = Path(app.outdir) / "_sources" / "book"
    for path in CHAPTERS:
        (sources / path.name).write_bytes(path.read_bytes())        # what Sphinx copies: with solutions
    site._student_copies(app, None)
    for path in CHAPTERS:
        text = (sources / path.name).read_text(encoding="utf-8")
        assert "{solution" not in text and "git+https://github.com/ada/lyaplearn" in text
    req = (Path(app.outdir) / "binder" / "requirements.txt").read_text()
    assert "lyaplearn @ git+https://github.com/ada/lyaplearn" in req


def test_installed_package_has_no_reference_solutions(tmp_path):
    """The wheel pip builds (what `pip install git+<home>` installs) leaves lyaplearn/solutions out."""
    src = tmp_path / "src"                     # a copy, so the build leaves nothing in the repository
    shutil.copytree(ROOT / "lyaplearn", src / "lyaplearn", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                        "-q", "-w", str(tmp_path)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("lyaplearn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "lyaplearn/scalar.py" in names and "lyaplearn/teacher/_sandbox_worker.py" in names
    assert not [n for n in names if "solutions" in n]


def test_licences_are_in_place():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in text and "CC BY 4.0" in text
    assert "mocap.cs.cmu.edu" in text and "NSF EIA-0196217" in text and "Project Gutenberg" in text
    assert "janeaustenr" in text and "modeldata" in text
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in intro and "MIT" in intro


def test_publishing_outside_a_checkout_says_it_needs_one(tmp_path, monkeypatch):
    """Installed from a wheel, the library has no book beside it: publishing finds the checkout
    from the current folder, or refuses with the reason, never reads site-packages."""
    from lyaplearn import _paths

    monkeypatch.setattr(_paths, "source_checkout", lambda: None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="needs the book's sources"):
        publish.home()
    with pytest.raises(ValueError, match="root must be the book's checkout"):
        publish.sync(tmp_path)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "01_a.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/ada/lyaplearn\n",
                                          encoding="utf-8")
    monkeypatch.chdir(tmp_path / "book")
    assert publish.checkout_root() == tmp_path
    assert publish.home() == "https://github.com/ada/lyaplearn"
    assert [p.name for p in publish.chapters()] == ["01_a.ipynb"]
