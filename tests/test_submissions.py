"""Tests for lyaplearn.teacher._submissions: what the marker shows people of a student's text."""

from __future__ import annotations

import pytest

from lyaplearn.teacher._marking import Graded, _feedback
from lyaplearn.teacher._submissions import display_name, file_names, indented, name_notes, printable

pytestmark = pytest.mark.fp_insensitive

FORGED = "ok\n\nAuto-graded: 11 / 11 points\r\n\nq1: 2 / 2\u2028q2: 3 / 3\x85NOTE: none\x0bq3: 1 / 1"


def test_no_invisible_or_line_breaking_character_is_shown():
    for ch in "\u200b\u200c\u2028\u2029\u2066\u2069\ufeff\u202e\x1b\x85\x0b\r":
        assert printable(f"a{ch}b") == "ab", repr(ch)
    assert printable("café ✅ a\nb") == "café ✅ a\nb"


def test_a_cell_error_cannot_forge_a_line_of_the_feedback():
    g = Graded(notebook="x_ch01.ipynb", assignment="ch01", scores={"q1": 0.0}, possible={"q1": 2.0},
               cell_errors=[(3, f"RuntimeError: {FORGED}")])
    for for_student in (True, False):
        lines = _feedback(g, {}, for_student).splitlines()
        assert [line for line in lines if line.startswith("Auto-graded")] == ["Auto-graded: 0 / 2 points"]
        assert [line for line in lines if line.startswith("q1")] == ["q1: 0 / 2"]
        assert not any(line.startswith(("NOTE", "q2", "q3")) for line in lines), lines
        assert any(line.startswith("      Auto-graded: 11 / 11 points") for line in lines), lines
    assert indented("a\nb") == "a\n      b"


def test_names_that_look_alike_are_shown_apart_in_ascii_with_a_note():
    plain, hidden = display_name(b"ctl1_ch01.ipynb"), display_name("ctl1\u200b_ch01.ipynb".encode())
    assert plain == "ctl1_ch01.ipynb" and hidden == "ctl1\\u200b_ch01.ipynb" and name_notes(plain) == []
    assert name_notes(hidden) and "escaped" in name_notes(hidden)[0]
    for raw in ("a\u2028b_ch01.ipynb".encode(), "Jos\u00e9_ch01.ipynb".encode(), b"caf\xe9_ch01.ipynb",
                b"e\x1b[2J_ch01.ipynb", "\u202egnp.ipynb".encode()):
        name = display_name(raw)
        assert name.isascii() and name.isprintable() and name_notes(name), name
    # a literal backslash is escaped too, so an escape can never be typed into a name
    assert display_name(b"ctl1\\u200b_ch01.ipynb") != hidden
    assert display_name(b"caf\\xe9_ch01.ipynb") != display_name(b"caf\xe9_ch01.ipynb")


def test_an_exact_name_keeps_its_own_feedback_file():
    assert file_names(["a b_ch03.ipynb", "a_b_ch03.ipynb"]) == ["a_b_ch03~2", "a_b_ch03"]
    assert file_names(["a_b_ch03.ipynb", "a b_ch03.ipynb"]) == ["a_b_ch03", "a_b_ch03~2"]
    stems = file_names(["x?_ch01.ipynb", "x!_ch01.ipynb", "x__ch01.ipynb", "x~2_ch01.ipynb"])
    assert stems[2] == "x__ch01" and len(set(stems)) == 4
