"""lyaplearn.prose: glued values are plain Python numbers, and bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn.prose import glue, plain

pytestmark = pytest.mark.fp_insensitive


@pytest.mark.parametrize("value, expected, kind", [
    (np.float64(0.27), 0.27, float), (np.float32(0.5), 0.5, float), (np.int64(4), 4, int),
    (np.array(2.5), 2.5, float), (np.bool_(True), True, bool), (3, 3, int), (0.1, 0.1, float),
    ("10^5", "10^5", str),
])
def test_plain_gives_python_scalars(value, expected, kind):
    out = plain(value)
    assert out == expected and type(out) is kind
    if kind in (int, float):   # myst-nb formats the text repr: it must parse back as a number
        assert format(float(repr(out)), ".2f") == format(float(expected), ".2f")


def test_numpy_reprs_are_what_the_wrapper_is_for():
    # numpy 2 writes scalars as np.float64(...), which a glue format spec cannot parse
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        with pytest.raises(ValueError):
            float(repr(np.float64(0.27)))
    assert float(repr(plain(np.float64(0.27)))) == 0.27


@pytest.mark.parametrize("value", [np.zeros(3), [1.0], {"a": 1}, None, 1 + 2j])
def test_plain_refuses_non_scalars(value):
    with pytest.raises(TypeError, match="value must be a real number or a string"):
        plain(value)


@pytest.mark.parametrize("name", ["", "1abc", "ch5 lam1", "a-b", None, 3])
def test_glue_refuses_bad_names(name):
    with pytest.raises(ValueError, match="name must be letters, digits and underscores"):
        glue(name, 1.0)


def test_glue_outside_a_kernel_is_a_checked_no_op(capsys):
    assert glue("ch5_lam1", np.float64(0.27)) is None
    assert capsys.readouterr().out == ""
    with pytest.raises(TypeError):
        glue("ch5_lam1", np.zeros(2))
