"""Tests of lyaplearn.longdelay: the tasks, the Wilson intervals, the long-term Jacobian and a
tiny version of chapter 10's experiment.

References, none of them the code under test: the tasks' definitions in closed form; the
Wilson intervals of Newcombe (1998, Table II); autograd's Jacobian of the module's own
forward pass for the long-term Jacobian; and the book's engine
(:func:`lyaplearn.recurrent.lyapunov_spectrum`) for the exponents after flossing.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from lyaplearn import longdelay as ld
from lyaplearn.recurrent import lyapunov_spectrum

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


# --- the tasks against their closed forms -------------------------------------------------

@pytest.mark.parametrize("delay", [1, 7])
def test_copy_shows_one_bit_then_silence_and_asks_for_it(delay):
    b = ld.delayed_copy(64, delay, seed=3)
    x, y = b.inputs, b.targets
    assert x.shape == (64, delay + 1, 2) and y.shape == (64,)
    assert set(x[:, 0, 0].tolist()) == {-1.0, 1.0}
    assert torch.all(x[:, 1:, 0] == 0)                     # channel 0 silent after the bit
    assert torch.equal(y, x[:, 0, 0])                      # the answer is the bit
    assert set(x[:, :, 1].unique().tolist()) == {-1.0, 1.0}


@pytest.mark.parametrize("delay", [1, 5])
def test_xor_asks_whether_two_bits_differ(delay):
    b = ld.delayed_xor(256, delay, seed=4)
    x, y = b.inputs, b.targets
    assert x.shape == (256, delay + 2, 2)
    assert torch.all(x[:, 2:, 0] == 0)
    a, c = x[:, 0, 0], x[:, 1, 0]
    assert torch.equal(y, torch.where(a != c, 1.0, -1.0))
    # all four bit pairs occur and the answer is balanced to within binomial noise
    assert len({(u, v) for u, v in zip(a.tolist(), c.tolist())}) == 4
    assert abs(float(y.mean())) < 4 / math.sqrt(256)


def test_batches_are_seeded_and_distractors_can_be_switched_off():
    a, b = ld.make_batch("copy", 8, 5, seed=1), ld.make_batch("copy", 8, 5, seed=1)
    assert torch.equal(a.inputs, b.inputs)
    assert not torch.equal(a.inputs, ld.make_batch("copy", 8, 5, seed=2).inputs)
    q = ld.make_batch("xor", 8, 5, seed=1, distractor=0.0)
    assert torch.all(q.inputs[:, :, 1] == 0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(task="add", n=2, delay=3), "task"), (dict(task="copy", n=0, delay=3), "n"),
    (dict(task="copy", n=2, delay=0), "delay"), (dict(task="copy", n=2, delay=2.0), "delay"),
    (dict(task="copy", n=2, delay=3, distractor=-1.0), "distractor"),
])
def test_bad_task_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ld.make_batch(**kwargs)


# --- Wilson intervals against published values ---------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(hidden=0), "hidden must be a positive integer"),
    (dict(floss_every=2.0), "floss_every must be a positive integer"),
    (dict(lr=-1e-3), "lr must be a finite real number > 0"),
    (dict(floss_lr=float("nan")), "floss_lr must be a finite real number > 0"),
    (dict(threshold=1.5), "threshold must be an accuracy in"),
])
def test_bad_training_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ld.TrainConfig(**kwargs)


@pytest.mark.parametrize("k,n,lo,hi", [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718), (29, 29, 0.8830, 1.0),
])
def test_wilson_interval_matches_newcombe_1998(k, n, lo, hi):
    got = ld.wilson_interval(k, n)
    assert got == pytest.approx((lo, hi), abs=6e-5)


def test_success_rate_counts_and_bad_counts_are_named():
    r = ld.success_rate([True] * 3 + [False] * 7)
    assert (r.successes, r.n, r.rate) == (3, 10, 0.3)
    assert r.lo < 0.3 < r.hi
    with pytest.raises(ValueError, match="successes"):
        ld.wilson_interval(5, 4)
    with pytest.raises(ValueError, match="n must"):
        ld.wilson_interval(0, 0)
    with pytest.raises(ValueError, match="booleans"):
        ld.success_rate([1, 0])


# --- the long-term Jacobian against autograd -----------------------------------------------

def test_long_term_jacobian_is_autograds_dh_T_dh_0():
    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 5, batch_first=True, dtype=torch.float64)
    x = torch.randn(2, 6, 2, dtype=torch.float64)
    P = ld.long_term_jacobian(rnn, x)
    for b in range(2):
        h0 = torch.zeros(1, 1, 5, dtype=torch.float64)

        def last(h, b=b):
            return rnn(x[b:b + 1], h)[0][0, -1]
        J = torch.autograd.functional.jacobian(last, h0).reshape(5, 5)
        # dh_T/dh_0 at the zero state: the same product as P_T
        assert torch.allclose(P[b], J, atol=1e-12)


def test_summary_rates_and_condition_numbers_of_a_diagonal_product():
    P = torch.diag(torch.tensor([math.e ** 3, 1.0, math.e ** -6], dtype=torch.float64))[None]
    s = ld.summarise(P, 2)
    assert np.allclose(s.rates, [3.0, 0.0, -6.0])
    assert s.log10_cond_k == pytest.approx(3 / math.log(10))
    assert s.log10_cond == pytest.approx(9 / math.log(10))
    with pytest.raises(ValueError, match="k must"):
        ld.summarise(P, 4)
    with pytest.raises(ValueError, match="single-layer"):
        ld.long_term_jacobian(torch.nn.GRU(2, 3), torch.zeros(1, 2, 2))


# --- a tiny experiment, claims over seeds ----------------------------------------------------

def test_flossing_before_training_brings_the_leading_exponents_to_zero():
    """Default init: lambda_1 < -0.3 for each seed; after 60 flossing steps the k = 4 largest
    exponents, measured by the engine on other inputs, lie within 0.15 of zero."""
    cfg = ld.TrainConfig()
    for seed in range(3):
        m = ld.make_model("plain", seed, cfg.hidden)
        x = ld.delayed_copy(8, 200, seed=900 + seed).inputs
        before = lyapunov_spectrum(m.rnn, x, k=cfg.k, warmup=50).exponents.mean(0)
        assert before[0] < -0.3, before
        from lyaplearn.flossing import floss
        floss(m, lambda i: ld.delayed_copy(16, 50, seed=100 * seed + i).inputs, cfg.k,
              steps=cfg.floss_steps, lr=cfg.floss_lr, truncate=cfg.truncate)
        after = lyapunov_spectrum(m.rnn, x, k=cfg.k, warmup=50).exponents.mean(0)
        assert after.abs().max() < 0.15, (seed, before, after)
        # and the long-term Jacobian's leading directions are far better conditioned
        xj = ld.delayed_copy(8, 20, seed=950 + seed).inputs
        js = ld.jacobian_summary(m.rnn, xj, cfg.k)
        assert js.rates[0] > -0.15 and js.horizon == 21


@pytest.mark.slow
def test_a_short_delay_is_learnt_under_every_condition():
    """Copy at delay 5 with the chapter's settings: every condition succeeds for 3 seeds."""
    cfg = ld.TrainConfig(steps=200)
    for cond in ld.CONDITIONS:
        for seed in range(3):
            r = ld.train_run("copy", cond, 5, seed, cfg)
            assert r.success and r.accuracy >= cfg.threshold, (cond, seed, r.accuracy)
            assert (r.floss_updates > 0) == cond.startswith("floss")


@pytest.mark.slow
def test_quick_runner_writes_and_resumes(tmp_path):
    out = tmp_path / "ch10_quick.json"
    res = ld.run("quick", out, progress=False)
    s = ld.SIZES["quick"]
    n = len(s["tasks"]) * len(s["delays"]) * len(ld.CONDITIONS) * s["seeds"]
    assert len(res["runs"]) == n
    again = ld.run("quick", out, progress=False)            # resumes: nothing to redo
    assert again["runs"] == json.loads(out.read_text())["runs"] == res["runs"]
    rates = ld.rates_by_delay(ld.load_results(out), "copy")
    assert set(rates) == set(ld.CONDITIONS)
    assert all(r.n == s["seeds"] for _, rs in rates.values() for r in rs)
    for fig in (ld.plot_success(rates), ld.plot_spectra(res["spectra"]),
                ld.plot_jacobian(res["spectra"], res["config"]["k"]),
                ld.plot_costs(res["costs"])):
        assert fig.get_facecolor() == (1.0, 1.0, 1.0, 1.0)
        assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


def _runs(cells):
    return {"runs": {f"{t}/{c}/{d}/{s}": dict(task=t, condition=c, delay=d, seed=s,
                                              success=ok, train_seconds=2.0, floss_seconds=1.0)
                     for (t, c, d, s), ok in cells.items()}}


def test_summaries_count_seeds_refuse_holes_and_sum_the_time():
    cells = {("copy", c, d, s): s == 0 for c in ("plain", "floss_before") for d in (5, 10)
             for s in range(3)}
    res = _runs(cells)
    assert ld.complete_seeds(res) == 3
    r = ld.rates_by_delay(res, "copy")["plain"][1][0]
    assert (r.successes, r.n) == (1, 3)
    assert ld.floss_overhead(res) == {"floss_before": {5: 0.5, 10: 0.5}}
    assert ld.longest_bridged(res, "copy") == {"plain": 0, "floss_before": 0}
    gap = _runs({("copy", "plain", d, s): ok for d, ok in ((5, True), (10, False), (20, True))
                 for s in range(2)})
    assert ld.longest_bridged(gap, "copy") == {"plain": 5}   # 20 follows a failure at 10
    table = ld.format_rates(res).splitlines()     # fits the page: 88 characters at most
    assert table[0].split() == ["copy", "delay", "5", "delay", "10"]
    assert table[1].split()[:2] == ["plain", "1/3"] and max(map(len, table)) <= 88
    del cells[("copy", "plain", 10, 2)]
    with pytest.raises(ValueError, match="incomplete"):
        ld.complete_seeds(_runs(cells))


def test_success_figure_is_ticked_at_the_delays_and_marks_half():
    res = _runs({("copy", c, d, s): s == 0 for c in ("plain", "orthogonal") for d in (5, 20, 50)
                 for s in range(2)})
    fig = ld.plot_success_tasks(res)
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [5, 20, 50]
    assert any(list(line.get_ydata()) == [0.5, 0.5] for line in ax.get_lines())
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["plain", "orthogonal init"]


def test_cost_figure_shows_the_spread_of_the_repetitions():
    costs = {"20": {"train": 0.01, "floss": 0.05, "ratio": 5.0, "ratios": [3.0, 5.0, 9.0]}}
    ax_r = ld.plot_costs(costs).axes[1]
    (line,) = [c for c in ax_r.collections]          # the whisker, from 3 to 9
    assert np.allclose(line.get_segments()[0][:, 1], [3.0, 9.0])
