"""Tests for lyaplearn.lyapunov._features: what a spectrum tells (Kaplan-Yorke dimension,
entropy, the summary features, bits), against closed forms and published values.

* Kaplan-Yorke dimension (Kaplan & Yorke 1979, ``kaplan1979chaotic``): closed forms; the Hénon
  spectrum (0.41922, -1.62319) gives 1.2583 and the Lorenz-63 spectrum (0.9056, 0, -14.5723)
  gives 2.06215 (Sprott, *Chaos and Time-Series Analysis*, 2003, Appendix A,
  ``sprott2003chaos``).
* One bit is ln 2 nats.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lyaplearn import lyapunov as L

pytestmark = pytest.mark.fp_sensitive


LN2 = math.log(2.0)


def test_kaplan_yorke_closed_forms():
    assert L.kaplan_yorke_dimension([0.5, 0.0, -1.0]) == pytest.approx(2.5)
    assert L.kaplan_yorke_dimension([-0.1, -1.0]) == 0.0
    assert L.kaplan_yorke_dimension([1.0, 0.5]) == 2.0          # sum >= 0 -> N
    assert L.kaplan_yorke_dimension([0.3]) == 1.0
    assert L.kaplan_yorke_dimension([-0.3]) == 0.0
    assert L.kaplan_yorke_dimension([0.0, -1.0]) == 1.0         # S_1 = 0 counts as >= 0
    # Hénon (Sprott 2003): 1 + 0.41922 / 1.62319 = 1.2583
    assert L.kaplan_yorke_dimension([0.41922, -1.62319]) == pytest.approx(1.2583, abs=1e-4)
    # Lorenz-63 (Sprott 2003): 2 + 0.9056 / 14.5723 = 2.0621
    assert L.kaplan_yorke_dimension([0.9056, 0.0, -14.5723]) == pytest.approx(2.0621, abs=1e-4)
    # -inf (singular Jacobian): the fraction is 0
    assert L.kaplan_yorke_dimension([0.7, -np.inf]) == 1.0
    # order of the input does not matter
    assert L.kaplan_yorke_dimension([-1.0, 0.5, 0.0]) == pytest.approx(2.5)


def test_kaplan_yorke_is_vectorised_over_leading_axes():
    batch = np.array([[0.5, 0.0, -1.0], [-1.0, -2.0, -3.0], [1.0, 1.0, 1.0], [0.2, -0.4, -np.inf]])
    out = L.kaplan_yorke_dimension(batch)
    assert out.shape == (4,)
    assert np.allclose(out, [2.5, 0.0, 3.0, 1.5])
    assert L.kaplan_yorke_dimension(batch.reshape(2, 2, 3)).shape == (2, 2)


def test_entropy_features_bits():
    assert L.entropy([0.4, 0.1, -1.0]) == pytest.approx(0.5)
    assert L.entropy([-0.4, -1.0]) == 0.0
    assert np.allclose(L.entropy([[0.4, -1.0], [0.2, 0.3]]), [0.4, 0.5])
    lam = np.array([[0.3, -0.1, -2.0], [0.0, -1.0, -np.inf]])
    f = L.spectrum_features(lam[0])
    assert f["max"] == pytest.approx(0.3)
    assert f["mean"] == pytest.approx(np.mean(lam[0]))
    assert f["variance"] == pytest.approx(np.var(lam[0]))
    fb = L.spectrum_features(lam)
    assert fb["max"].shape == (2,) and fb["mean"][1] == -np.inf
    assert L.to_bits(LN2) == pytest.approx(1.0)
    assert np.allclose(L.to_bits([LN2, 3 * LN2]), [1.0, 3.0])


def test_helper_bad_inputs():
    for fn in (L.kaplan_yorke_dimension, L.entropy, L.spectrum_features):
        with pytest.raises(ValueError, match=r"exponents must have at least one exponent.*shape \(\)"):
            fn(1.0)
        with pytest.raises(ValueError, match=r"shape \(2, 0\)"):
            fn(np.zeros((2, 0)))
        with pytest.raises(ValueError, match="NaN"):
            fn([0.1, np.nan])
        with pytest.raises(ValueError, match=r"\+inf"):
            fn([np.inf, 0.0])
