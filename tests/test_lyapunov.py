"""Tests for lyaplearn.lyapunov as a whole: a non-finite input to any of its functions (in
_qr.py, _features.py and _ensemble.py) is refused with the argument and its first bad index,
worked out by hand in the test. Each file of the package has its own tests:
tests/test_lyapunov_<file>.py."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lyaplearn import lyapunov as L
from _helpers.nonfinite import nan_at as _nan_at

pytestmark = pytest.mark.fp_sensitive


def test_qr_accumulator_and_spectrum_helpers():
    with pytest.raises(ValueError, match=re.escape("q0[1, 1] = nan")):
        L.QRAccumulator(_nan_at((2, 2), (1, 1)))
    acc = L.QRAccumulator(np.eye(2))
    acc.push(np.eye(2))
    with pytest.raises(ValueError, match=re.escape("step 2 has jacobian[1, 0] = nan")):
        acc.push(_nan_at((2, 2), (1, 0)))
    lam = np.array([[0.1, -0.2, -np.inf], [0.3, np.nan, -1.0]])
    for fn in (L.kaplan_yorke_dimension, L.entropy, L.spectrum_features):
        with pytest.raises(ValueError, match=re.escape("exponents[1, 1] = nan")):
            fn(lam)
    with pytest.raises(ValueError, match=re.escape("exponents[0, 2] = inf")):
        L.SpectrumEnsemble(np.array([[0.1, -0.2, np.inf]]))
    # -inf stays allowed: a singular Jacobian gives it legitimately
    assert L.kaplan_yorke_dimension([0.5, -np.inf]) == 1.0
    with pytest.raises(ValueError, match=re.escape("r_values[2] = nan")):
        L.logistic_exponents([3.0, 3.5, np.nan])
    with pytest.raises(ValueError, match=re.escape("jacobians[0, 1, 1] = inf")):
        L.product_svd_exponents(_nan_at((3, 2, 2), (0, 1, 1), np.inf), [1, 2])
    with pytest.raises(ValueError, match="lambda_max must not be NaN"):
        L.regime(float("nan"))
