"""Tests for lyaplearn.conditioning._checks: a matrix or a stack of matrices that is not one
(wrong shape, empty, non-finite, not numbers, not square, of mixed sizes) is refused with its
name and what was expected, by condition_number and singular_values (one matrix) and by
product_log_singular_values and explicit_product (a stack)."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn import conditioning as C

pytestmark = pytest.mark.fp_insensitive


@pytest.mark.parametrize("bad, match", [
    (np.ones(3), r"M must be a 2-D array, got shape \(3,\)"),
    (np.ones((2, 2, 2)), r"M must be a 2-D array, got shape \(2, 2, 2\)"),
    (np.ones((0, 3)), r"M must not be empty, got shape \(0, 3\)"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), r"M must contain only finite.*\(2, 2\)"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), r"M must contain only finite"),
    ([["a", "b"]], r"M must be a 2-D array of real numbers"),
])
def test_condition_number_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        C.condition_number(bad)
    with pytest.raises(ValueError, match=match):
        C.singular_values(bad)


@pytest.mark.parametrize("bad, match", [
    ([], r"matrices must contain at least one matrix, got none"),
    ([np.ones((3, 4))], r"matrices\[0\] must be a square matrix, got shape \(3, 4\)"),
    ([np.eye(3), np.eye(4)],
     r"matrices\[1\] must have the shape of matrices\[0\], \(3, 3\), got shape \(4, 4\)"),
    ([np.eye(2), np.ones(2)], r"matrices\[1\] must be a 2-D array, got shape \(2,\)"),
    ([np.eye(2), np.full((2, 2), np.nan)], r"matrices\[1\] must contain only finite"),
    (5, r"matrices must be a sequence of square matrices, got int"),
])
def test_product_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        C.product_log_singular_values(bad)
    with pytest.raises(ValueError, match=match):
        C.explicit_product(bad)
