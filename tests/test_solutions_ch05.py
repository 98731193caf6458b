"""The chapter-5 reference solutions against closed forms.

* Linear maps: exponents are log|eigenvalues| (Oseledets 1968).
* Logistic map at r = 4: ln 2 (Sprott 2003, Appendix A).
* Hénon map: λ1 + λ2 = ln b exactly (det J = -b).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lyaplearn.solutions import ch05

pytestmark = pytest.mark.fp_sensitive


def test_qr_lyapunov_linear_maps():
    A = np.array([[0.5, 1.0, 3.0], [0.0, 2.0, -1.0], [0.0, 0.0, -0.8]])     # non-normal
    lam = ch05.qr_lyapunov(np.broadcast_to(A, (4000, 3, 3)))
    assert np.allclose(lam, np.log([2.0, 0.8, 0.5]), atol=2e-3)
    D = np.diag([1.5, 1.0, 0.2])
    assert np.allclose(ch05.qr_lyapunov(np.broadcast_to(D, (3000, 3, 3))),
                       np.log([1.5, 1.0, 0.2]), atol=2e-3)


def test_qr_lyapunov_logistic_and_henon():
    x, orbit = 0.3141, []
    for _ in range(20000):
        orbit.append(x)
        x = 4 * x * (1 - x)
    orbit = np.array(orbit[100:])
    J = (4 * (1 - 2 * orbit))[:, None, None]
    assert ch05.qr_lyapunov(J)[0] == pytest.approx(math.log(2), abs=0.01)
    assert ch05.lyapunov_1d(lambda v: 4 * (1 - 2 * v), orbit) == pytest.approx(math.log(2), abs=0.01)
    # Hénon: the two exponents add up to ln 0.3 exactly
    xy, Js = np.array([0.1, 0.1]), []
    for t in range(3000):
        Js.append([[-2.8 * xy[0], 1.0], [0.3, 0.0]])
        xy = np.array([1 - 1.4 * xy[0] ** 2 + xy[1], 0.3 * xy[0]])
    lam = ch05.qr_lyapunov(np.array(Js[200:]))
    assert lam.sum() == pytest.approx(math.log(0.3), abs=1e-12)
    assert lam[0] == pytest.approx(0.41922, abs=0.03)


def test_max_reortho_interval():
    # spread 1 nat per step: 1/eps = 2**52 = e**36.04 in float64
    assert ch05.FLOAT64_DIGITS == pytest.approx(-math.log10(np.finfo(np.float64).eps), rel=1e-12)
    assert ch05.max_reortho_interval(0.0, -1.0) == 36
    assert ch05.max_reortho_interval(0.0, -0.5) == 72          # 72.08, not 73.4 as with 2**53
    assert ch05.max_reortho_interval(0.3, -9.0, digits=8) == math.floor(8 * math.log(10) / 9.3)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"jacobians must have shape \(T, N, N\).*\(3, 2\)"):
        ch05.qr_lyapunov(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="orbit must be a non-empty 1-D array"):
        ch05.lyapunov_1d(np.cos, [])
    with pytest.raises(ValueError, match="derivative must be callable"):
        ch05.lyapunov_1d(3.0, [0.1])
    with pytest.raises(ValueError, match="need lambda_1 > lambda_k"):
        ch05.max_reortho_interval(-1.0, 0.0)
    with pytest.raises(ValueError, match="digits must be positive"):
        ch05.max_reortho_interval(0.0, -1.0, digits=0)
