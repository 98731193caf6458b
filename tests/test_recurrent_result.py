"""Tests of :class:`lyaplearn.recurrent.SpectrumResult`: the members of chapter 5's result.

A diagonal tanh RNN without bias or input sits at its fixed point 0 forever, where the
Jacobian is ``W_hh = diag(2, 1/4)``: the exponents are ``ln 2`` and ``ln 1/4`` exactly, so
every summary has a closed form. The summaries are also checked against
:class:`lyaplearn.lyapunov.SpectrumEnsemble` built from the same exponents, and both results
built from one hand-written unsorted batch against hand-computed members.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from lyaplearn import lyapunov as L
from lyaplearn import recurrent as R
from _helpers.recurrent_reference import make

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)

LAM = np.array([math.log(2.0), math.log(0.25)])


def diagonal_result(B=3, **kw):
    rnn = torch.nn.RNN(1, 2, bias=False, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.zero_()
        rnn.weight_hh_l0.copy_(torch.diag(torch.tensor([2.0, 0.25], dtype=torch.float64)))
    return R.lyapunov_spectrum(rnn, torch.zeros(20, B, 1, dtype=torch.float64), **kw)


def test_summaries_have_their_closed_forms():
    res = diagonal_result()
    np.testing.assert_allclose(res.numpy(), np.tile(LAM, (3, 1)), rtol=0, atol=1e-14)
    assert res.largest == pytest.approx(math.log(2.0), abs=1e-14)
    assert res.mean_exponent == pytest.approx(LAM.mean(), abs=1e-14)
    assert res.variance == pytest.approx(((LAM - LAM.mean()) ** 2).mean(), abs=1e-14)
    assert res.entropy == pytest.approx(math.log(2.0), abs=1e-14)      # the one positive
    f = res.features()
    np.testing.assert_allclose(f["max"], [math.log(2.0)] * 3, atol=1e-14)
    np.testing.assert_allclose(f["mean"], [LAM.mean()] * 3, atol=1e-14)
    # Kaplan-Yorke: S_1 = ln 2 >= 0, S_2 = ln 2 + ln 1/4 < 0, so D = 1 + ln 2 / |ln 1/4| = 1.5
    with pytest.warns(FutureWarning, match="batch-mean spectrum"):
        ky = res.kaplan_yorke
    np.testing.assert_allclose(ky, [1.5, 1.5, 1.5], atol=1e-13)
    # and in bits the rates scale, the dimension does not
    bits = res.to("bits")
    assert bits.largest == pytest.approx(1.0, abs=1e-13)
    with pytest.warns(FutureWarning):
        np.testing.assert_allclose(bits.kaplan_yorke, 1.5, atol=1e-13)


def test_the_members_of_spectrum_ensemble_mean_the_same():
    res = R.lyapunov_spectrum(R.make_rnn("gru", 3, 5, 1.5, seed=1),
                              torch.randn(60, 4, 3, generator=torch.Generator().manual_seed(0),
                                          dtype=torch.float64), warmup=10)
    ens = L.SpectrumEnsemble(res.numpy())
    public = {n for n in dir(L.SpectrumEnsemble) if not n.startswith("_")}
    missing = {n for n in public if not hasattr(R.SpectrumResult, n)}
    assert not missing and {"exponents", "history", "units"} <= set(res.__dict__)
    np.testing.assert_allclose(res.mean, ens.mean, rtol=0, atol=1e-15)
    np.testing.assert_allclose(res.stderr, ens.stderr, rtol=0, atol=1e-15)
    for name in ("largest", "mean_exponent", "variance", "entropy"):
        assert getattr(res, name) == pytest.approx(getattr(ens, name), abs=1e-14), name
    for key, v in ens.features().items():
        np.testing.assert_allclose(res.features()[key], v, rtol=0, atol=1e-15)
    # kaplan_yorke differs until the next release: per sequence here, of the mean there
    assert L.kaplan_yorke_dimension(res.mean) == pytest.approx(ens.kaplan_yorke, abs=1e-13)
    with pytest.warns(FutureWarning):
        np.testing.assert_allclose(res.kaplan_yorke, L.kaplan_yorke_dimension(ens.exponents))
    assert res.to("bits").units == ens.to("bits").units == "bits"


# Two spectra whose entries are out of order, both in the same order (the largest second), so
# the batch mean of the rows as given is a permutation of the mean of the sorted rows.
UNSORTED = np.array([[-1.0, 0.5, -2.0],
                     [-0.5, 1.5, -3.0]])


def test_both_results_built_from_one_unsorted_batch_give_the_hand_computed_members():
    res = R.SpectrumResult(torch.tensor(UNSORTED, dtype=torch.float64))
    ens = L.SpectrumEnsemble(UNSORTED)
    # means: as given [-0.75, 1, -2.5] (the engine keeps the order), sorted [1, -0.75, -2.5]
    np.testing.assert_array_equal(res.mean, [-0.75, 1.0, -2.5])
    np.testing.assert_array_equal(ens.mean, [1.0, -0.75, -2.5])
    # two values a, b: std(ddof=1) / sqrt(2) = |a - b| / 2, column by column
    np.testing.assert_allclose(res.stderr, [0.25, 0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(ens.stderr, [0.5, 0.25, 0.5], rtol=1e-15)
    for r in (res, ens):
        assert r.largest == 1.0                                  # not the first entry, -0.75
        assert r.mean_exponent == pytest.approx(-0.75, abs=1e-15)
        # deviations from -0.75: 1.75, 0, -1.75
        assert r.variance == pytest.approx(2 * 1.75 ** 2 / 3, abs=1e-15)
        assert r.entropy == 1.0                                  # the one positive entry
        f = r.features()
        np.testing.assert_array_equal(f["max"], [0.5, 1.5])
        np.testing.assert_allclose(f["mean"], [-5 / 6, -2 / 3], rtol=1e-15)
        np.testing.assert_allclose(f["variance"], [19 / 18, 61 / 18], rtol=1e-14)
    # Kaplan-Yorke of the mean [1, -0.75, -2.5]: S_2 = 0.25 >= 0 > S_3, so 2 + 0.25 / 2.5
    assert ens.kaplan_yorke == pytest.approx(2.1, abs=1e-15)
    assert L.kaplan_yorke_dimension(res.mean) == pytest.approx(2.1, abs=1e-15)
    # per sequence (this release): 1 + 0.5 / 1 and 2 + 1 / 3
    with pytest.warns(FutureWarning):
        np.testing.assert_allclose(res.kaplan_yorke, [1.5, 2 + 1 / 3], rtol=1e-15)


def test_one_unsorted_spectrum_has_the_same_members_in_both_results():
    res = R.SpectrumResult(torch.tensor([[-1.0, 0.5]], dtype=torch.float64))
    ens = L.SpectrumEnsemble(np.array([[-1.0, 0.5]]))
    assert res.largest == ens.largest == 0.5
    assert res.mean_exponent == ens.mean_exponent == -0.25
    assert res.variance == ens.variance == 0.5625                # deviations +-0.75
    assert res.entropy == ens.entropy == 0.5
    assert np.isnan(res.stderr).all() and np.isnan(ens.stderr).all()   # one sequence
    assert L.kaplan_yorke_dimension(res.mean) == ens.kaplan_yorke == 1.5   # 1 + 0.5 / 1


def test_features_is_a_method_and_the_old_mapping_still_reads_with_a_warning():
    res = diagonal_result(B=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = res.features()
    assert isinstance(new, dict) and set(new) == {"max", "mean", "variance"}
    with pytest.warns(FutureWarning, match=r"call result.features\(\)"):
        old = res.features["max"]
    np.testing.assert_array_equal(old, new["max"])
    with pytest.warns(FutureWarning):
        assert dict(res.features).keys() == new.keys()
    with pytest.warns(FutureWarning):
        assert "variance" in repr(res.features)


def test_result_statistics_and_units():
    m = make("lstm", H=3, seed=2, scale=0.5)
    X = torch.randn(30, 4, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    res = R.lyapunov_spectrum(m, X)
    lam = res.numpy()
    np.testing.assert_allclose(res.mean, lam.mean(0))
    np.testing.assert_allclose(res.stderr, lam.std(0, ddof=1) / 2.0)
    np.testing.assert_allclose(res.features()["max"], lam.max(1))
    np.testing.assert_allclose(res.features()["variance"], lam.var(1))
    bits = R.lyapunov_spectrum(m, X, units="bits")
    np.testing.assert_allclose(bits.numpy(), lam / math.log(2), rtol=1e-12)
    np.testing.assert_allclose(res.to("bits").numpy(), bits.numpy(), rtol=1e-12)
