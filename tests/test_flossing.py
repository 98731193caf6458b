"""Tests of lyaplearn.flossing: the differentiable spectrum, its ill-defined cases, flossing.

References, none of them the code under test: the book's engine
(:func:`lyaplearn.recurrent.lyapunov_spectrum`) for the exponents; central finite
differences and closed forms for the gradient; and, for the options that cut the graph
(``window``, ``truncate``), autograd through ``log|det J_t|`` of the module's *own* one-step
Jacobians (``torch.autograd.functional.jacobian`` of its forward pass), since the sum of all
exponents is the mean of ``log|det J_t|`` whatever the frame.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn.flossing import (
    ExplodingGradientWarning,
    Flosser,
    IllDefinedGradientWarning,
    RankDeficientError,
    differentiable_spectrum,
    find_rnn,
    floss,
    flossing_loss,
    graph_bytes,
    step_costs,
)
from lyaplearn.recurrent import lyapunov_spectrum

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)
F64 = torch.float64

CASES = ["rnn_tanh", "rnn_relu", "gru", "lstm", "lstm_hidden"]


def make(case, *, I=2, H=3, L=2, seed=0, batch_first=True, dtype=F64):
    """A small module; the ReLU one with every unit active (positive drive, non-negative
    recurrent weights), so that its product of Jacobians has full rank."""
    torch.manual_seed(seed)
    kw = dict(input_size=I, hidden_size=H, num_layers=L, batch_first=batch_first, dtype=dtype)
    arch = case.split("_")[0] if case.startswith("lstm") else case
    if arch == "lstm":
        m = nn.LSTM(**kw)
    elif arch == "gru":
        m = nn.GRU(**kw)
    else:
        m = nn.RNN(nonlinearity=arch.split("_")[1], **kw)
    if arch == "rnn_relu":
        with torch.no_grad():
            for name, p in m.named_parameters():
                if name.startswith("bias"):
                    p.uniform_(0.5, 1.0)
                elif name.startswith("weight_hh"):
                    p.copy_(0.2 * torch.rand(H, H, dtype=dtype) + 0.4 * torch.eye(H, dtype=dtype))
                else:
                    p.mul_(0.1)
    return m


def state_of(case):
    return "hidden" if case == "lstm_hidden" else "full"


def inputs(B=2, T=12, I=2, seed=1, dtype=F64):
    return torch.randn(B, T, I, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# --- the exponents: the engine's, to rounding ----------------------------------------------

OPTIONS = [dict(), dict(k=3, warmup=4, frame_warmup=5, reortho_every=3),
           dict(k=2, reortho_every=7, seed=3), dict(k=1, units="bits")]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("batch_first", [True, False])
def test_exponents_match_the_engine(case, batch_first):
    m = make(case, H=4, batch_first=batch_first)
    x = inputs(T=30)
    x = x if batch_first else x.transpose(0, 1)
    for opts in OPTIONS:
        opts = dict(opts, state=state_of(case))
        want = lyapunov_spectrum(m, x, **opts).exponents
        with torch.no_grad():
            got = differentiable_spectrum(m, x, **opts)
        assert got.shape == want.shape
        assert torch.allclose(got, want, rtol=0, atol=1e-10), (opts, got - want)
        got_graph = differentiable_spectrum(m, x, **opts)      # with a graph: same numbers
        assert got_graph.requires_grad
        assert torch.allclose(got_graph.detach(), want, rtol=0, atol=1e-10)


def test_initial_state_and_one_unbatched_sequence_match_the_engine():
    m = make("lstm", H=4, batch_first=False)
    x = inputs(B=1, T=20)[0]                                     # (T, I), one sequence
    h0 = (torch.randn(2, 4, dtype=F64), torch.randn(2, 4, dtype=F64))
    want = lyapunov_spectrum(m, x, h0=h0, k=5).exponents
    with torch.no_grad():
        got = differentiable_spectrum(m, x, 5, 0, h0)
    assert torch.allclose(got, want, rtol=0, atol=1e-10)


# --- the gradient: central finite differences --------------------------------------------

def directional_fd(m, f, eps=1e-6, seed=0):
    """``(autograd, central difference)`` of ``f()`` along a random direction of all
    parameters."""
    params = list(m.parameters())
    g = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in params]
    for p in params:
        p.grad = None
    f().backward()
    auto = sum(float((p.grad * vi).sum()) for p, vi in zip(params, v) if p.grad is not None)
    with torch.no_grad():
        for p, vi in zip(params, v):
            p.add_(eps * vi)
        up = float(f())
        for p, vi in zip(params, v):
            p.sub_(2 * eps * vi)
        down = float(f())
        for p, vi in zip(params, v):
            p.add_(eps * vi)
    return auto, (up - down) / (2 * eps)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("opts", [dict(), dict(k=2, warmup=2, frame_warmup=3, reortho_every=2)],
                         ids=["full", "partial"])
def test_gradient_matches_central_differences(case, opts):
    m = make(case)
    x = inputs()
    opts = dict(opts, state=state_of(case))
    with torch.no_grad():
        lam = differentiable_spectrum(m, x, **opts)
    # no near-crossing, where the curvature and so the difference's error are large
    if lam.shape[1] > 1:
        assert float((lam[:, :-1] - lam[:, 1:]).min()) > 0.002, lam
    w = torch.randn(lam.shape[1], generator=torch.Generator().manual_seed(5), dtype=F64)
    for seed in (0, 1):
        auto, fd = directional_fd(m, lambda: (differentiable_spectrum(m, x, **opts) * w).sum(),
                                  seed=seed)
        assert abs(auto - fd) <= 1e-6 * max(1.0, abs(fd)), (auto, fd)


def test_flossing_loss_gradient_matches_central_differences():
    m = make("gru")
    x = inputs()
    auto, fd = directional_fd(m, lambda: flossing_loss(m, x, k=3, target=-0.5))
    assert abs(auto - fd) <= 1e-6 * max(1.0, abs(fd)), (auto, fd)


# --- window and truncate: the module's own Jacobians ----------------------------------------

def _flat(state, lstm):
    if lstm:
        h, c = state
        return torch.cat([torch.cat([h[l, 0], c[l, 0]]) for l in range(h.shape[0])])
    return state[:, 0].reshape(-1)


def _unflat(s, L, H, lstm):
    if lstm:
        v = s.view(L, 2, H)
        return v[:, 0].unsqueeze(1).contiguous(), v[:, 1].unsqueeze(1).contiguous()
    return s.view(L, 1, H)


def reference_sum(m, x, *, warmup=0, frame_warmup=0, window=None, truncate=None):
    """Mean over the recorded steps inside the graph of ``log|det J_t|``, J_t from the
    module's forward; the state is detached where ``window``/``truncate`` cut the graph."""
    lstm = isinstance(m, nn.LSTM)
    L, H = m.num_layers, m.hidden_size
    T = x.shape[1]
    g0 = T - window if window else 0
    rec0 = warmup + frame_warmup

    def step(s, xt):
        _, hn = m(xt.view(1, 1, -1), _unflat(s, L, H, lstm))
        return _flat(hn, lstm)

    s = torch.zeros((2 if lstm else 1) * L * H, dtype=F64)
    total = 0.0
    for t in range(T):
        with torch.set_grad_enabled(t >= g0):
            if truncate and t and t % truncate == 0:
                s = s.detach()
            if t >= max(rec0, g0):
                J = torch.autograd.functional.jacobian(lambda v, t=t: step(v, x[0, t]), s,
                                                       create_graph=True)
                total = total + torch.linalg.slogdet(J).logabsdet
            s = step(s, x[0, t])
    return total / (T - rec0)


@pytest.mark.parametrize("case", ["rnn_tanh", "gru", "lstm"])
@pytest.mark.parametrize("opts", [dict(), dict(window=6), dict(truncate=4),
                                  dict(truncate=3, reortho_every=2, warmup=2, frame_warmup=3),
                                  dict(window=7, truncate=2, warmup=3)],
                         ids=["whole", "window", "truncate", "truncate-qr2", "both"])
def test_cut_graphs_give_the_gradient_of_the_mean_log_det(case, opts):
    m = make(case)
    x = inputs(B=1, T=14)
    params = list(m.parameters())
    ref = torch.autograd.grad(reference_sum(m, x, **{o: v for o, v in opts.items()
                                                     if o != "reortho_every"}),
                              params, allow_unused=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllDefinedGradientWarning)
        got = torch.autograd.grad(differentiable_spectrum(m, x, **opts).sum(), params,
                                  allow_unused=True)
    for p, a, b in zip(params, got, ref):
        a = torch.zeros_like(p) if a is None else a
        b = torch.zeros_like(p) if b is None else b
        assert torch.allclose(a, b, rtol=1e-8, atol=1e-10), (opts, (a - b).abs().max())


# --- ill-defined gradients: warned about or refused, never NaN in silence --------------------

def still_rnn(W, H):
    """tanh RNN without bias or input, resting at 0: every Jacobian is ``W``."""
    m = nn.RNN(1, H, bias=False, batch_first=True, dtype=F64)
    with torch.no_grad():
        m.weight_ih_l0.zero_()
        m.weight_hh_l0.copy_(W)
    return m


def test_repeated_exponents_warn_and_keep_finite_closed_form_gradients():
    H, c = 4, 0.8
    O = torch.linalg.qr(torch.randn(H, H, generator=torch.Generator().manual_seed(0),
                                    dtype=F64))[0]
    m = still_rnn(c * O, H)                       # every exponent is ln c
    x = torch.zeros(1, 10, 1, dtype=F64)
    with pytest.warns(IllDefinedGradientWarning, match="coincide"):
        lam = differentiable_spectrum(m, x)
    assert torch.allclose(lam, torch.full((1, H), math.log(c), dtype=F64), atol=1e-12)
    lam[0, 0].backward()                          # one exponent of a tied group
    assert torch.isfinite(m.weight_hh_l0.grad).all()
    # symmetric functions of the tied exponents have closed-form gradients:
    # sum = log|det W|, d/dW = W^{-T}; flossing loss = H ln(c)^2 ... d/dW = 2 ln(c) W^{-T}
    W_invT = torch.linalg.inv(m.weight_hh_l0.detach()).T
    m.weight_hh_l0.grad = None
    with pytest.warns(IllDefinedGradientWarning):
        differentiable_spectrum(m, x).sum().backward()
    assert torch.allclose(m.weight_hh_l0.grad, W_invT, atol=1e-10)
    m.weight_hh_l0.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # the loss is symmetric: no warning
        flossing_loss(m, x).backward()
    assert torch.allclose(m.weight_hh_l0.grad, 2 * math.log(c) * W_invT, atol=1e-10)
    with pytest.raises(ValueError, match="coincide"):
        differentiable_spectrum(m, x, ties="raise")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")            # no graph, no gradient to warn about
        differentiable_spectrum(m, x)


def dead_relu(H=4, dead=2):
    """ReLU RNN whose last ``dead`` units never fire: the Jacobian has rank ``H - dead``."""
    m = nn.RNN(1, H, nonlinearity="relu", batch_first=True, dtype=F64)
    with torch.no_grad():
        m.weight_ih_l0.zero_()
        m.weight_hh_l0.copy_(0.3 * torch.eye(H, dtype=F64) + 0.1)
        m.bias_hh_l0.zero_()
        m.bias_ih_l0.copy_(torch.tensor([1.0] * (H - dead) + [-5.0] * dead, dtype=F64))
    return m


def test_rank_deficiency_is_refused_with_a_graph_and_warned_without():
    m = dead_relu()
    x = torch.zeros(1, 15, 1, dtype=F64)
    with pytest.raises(RankDeficientError, match="k=4 exceeds the numerical rank"):
        differentiable_spectrum(m, x)
    with pytest.raises(ValueError):               # RankDeficientError is a ValueError
        flossing_loss(m, x)
    with pytest.raises(RankDeficientError):      # every unit dead: even k=1
        differentiable_spectrum(dead_relu(H=3, dead=3), x, k=1)
    lam = differentiable_spectrum(m, x, k=2)      # k at the rank: finite gradient
    lam.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)
    with torch.no_grad(), pytest.warns(RuntimeWarning, match="rank-deficient"):
        lam = differentiable_spectrum(m, x)
    with pytest.warns(RuntimeWarning):
        want = lyapunov_spectrum(m, x).exponents
    assert torch.equal(torch.isinf(lam), torch.isinf(want)) and bool(torch.isinf(lam).any())
    fin = torch.isfinite(want)
    assert torch.allclose(lam[fin], want[fin], atol=1e-10)


def chaotic_rnn(seed, H=32, gain=4.0, I=2, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    m = nn.RNN(I, H, batch_first=True, dtype=dtype)
    with torch.no_grad():
        m.weight_hh_l0.copy_(torch.randn(H, H, generator=g, dtype=dtype) * gain / H ** 0.5)
        m.weight_ih_l0.copy_(torch.randn(H, I, generator=g, dtype=dtype))
        m.bias_hh_l0.zero_()
        m.bias_ih_l0.zero_()
    return m


def test_a_chaotic_graph_warns_and_an_overflowing_gradient_raises():
    m = chaotic_rnn(0)
    x = 0.1 * torch.randn(2, 600, 2, generator=torch.Generator().manual_seed(3))
    # lambda_1 > 0.2, so exp(lambda_1 * 600) > 1e52 overflows float32 (3.4e38)
    assert float(lyapunov_spectrum(m, x, k=1).exponents.min()) > 0.2
    with pytest.warns(ExplodingGradientWarning, match="amplified"):
        lam = differentiable_spectrum(m, x, k=1)
    with pytest.raises(FloatingPointError, match="truncate"):
        lam.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExplodingGradientWarning)
        lam = differentiable_spectrum(m, x, k=1, truncate=2)
    lam.sum().backward()
    assert torch.isfinite(m.weight_hh_l0.grad).all()


# --- flossing moves the exponents towards zero (measured by the engine) ---------------------

def measured(m, k, seed):
    x = 0.1 * torch.randn(8, 200, 2, generator=torch.Generator().manual_seed(1000 + seed))
    return lyapunov_spectrum(m, x, k=k, warmup=50).exponents.mean(0)


@pytest.mark.parametrize("gain,seeds", [(4.0, (0, 2, 3)), (0.3, (0, 1, 2))],
                         ids=["chaotic", "over-stable"])
def test_flossing_moves_the_leading_exponents_towards_zero(gain, seeds):
    k = 2
    for seed in seeds:
        m = chaotic_rnn(seed, gain=gain)
        before = measured(m, k, seed)
        # the premise, with a margin: chaotic (lambda_1 > 0.15) or over-stable (< -0.8)
        assert before[0] > 0.15 if gain > 1 else before[0] < -0.8, before
        x = 0.1 * torch.randn(4, 60, 2, generator=torch.Generator().manual_seed(100 + seed))
        hist = floss(m, x, k, steps=40, lr=0.02, warmup=10, truncate=1)
        after = measured(m, k, seed)
        assert after.abs().mean() < 0.5 * before.abs().mean(), (seed, before, after)
        loss, exps, at = hist.as_arrays()
        assert loss.shape == (40,) and exps.shape == (40, k) and list(at) == list(range(40))


# --- flossing during training -------------------------------------------------------------

def test_flosser_flosses_when_due_and_leaves_the_task_gradients_alone():
    torch.manual_seed(0)
    net = nn.Sequential()
    net.rnn = nn.GRU(2, 6, batch_first=True)
    net.head = nn.Linear(6, 1)
    fl = Flosser(net, torch.randn(3, 15, 2), k=2, every=4, steps=2, start=1, max_episodes=2,
                 lr=0.01)
    assert fl.rnn is net.rnn
    net.rnn.weight_hh_l0.grad = marker = torch.ones_like(net.rnn.weight_hh_l0)
    before = net.rnn.weight_hh_l0.detach().clone()
    done = [s for s in range(12) if fl.maybe_step(s) is not None]
    assert done == [1, 5]                                # start=1, every=4, 2 episodes
    assert fl.history.at == [1, 1, 5, 5]
    assert net.rnn.weight_hh_l0.grad is marker           # the task's .grad untouched
    assert not torch.equal(net.rnn.weight_hh_l0.detach(), before)
    # an optimizer over the whole net: the head's task gradient must not be applied
    net.head.weight.grad = torch.ones_like(net.head.weight)
    head = net.head.weight.detach().clone()
    fl2 = Flosser(net, torch.randn(3, 15, 2), k=2, every=1,
                  optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
    fl2.maybe_step(0)
    assert torch.equal(net.head.weight.detach(), head)
    assert torch.equal(net.head.weight.grad, torch.ones_like(head))
    term = fl.loss()
    assert term.ndim == 0 and term.requires_grad and float(term.detach()) >= 0


def test_flossing_callback_in_lightning():
    pl = pytest.importorskip("lightning.pytorch")
    from lyaplearn.flossing import FlossingCallback

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.rnn = nn.RNN(2, 5, batch_first=True)
            self.head = nn.Linear(5, 1)

        def training_step(self, batch, _):
            x, y = batch
            return nn.functional.mse_loss(self.head(self.rnn(x)[0]), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(4, 10, 2, generator=g),
                                          torch.randn(4, 10, 1, generator=g))
    cb = FlossingCallback(torch.randn(2, 12, 2, generator=g), k=2, pre_steps=3,
                          every_n_epochs=1, steps=2, max_episodes=1, lr=0.01)
    trainer = pl.Trainer(max_epochs=3, accelerator="cpu", devices=1, callbacks=[cb],
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # Lightning's own notes on tiny loaders
        trainer.fit(Tiny(), torch.utils.data.DataLoader(data, batch_size=2))
    assert len(cb.pre.loss) == 3
    assert cb.flosser.history.at == [1, 1]               # epoch 1 only (max_episodes=1)
    assert "floss/loss" in trainer.callback_metrics


# --- cost, units, bad input ---------------------------------------------------------------

def test_step_costs_runs_side_by_side_and_the_bench_prints(capsys):
    c = step_costs(nn.LSTM(2, 4, batch_first=True), torch.randn(2, 8, 2), k=2, repeats=2)
    assert len(c.ratios) == 2 and c.train > 0 and c.floss > 0
    assert c.ratio == pytest.approx(float(np.median(c.ratios)))
    from lyaplearn.flossing._cost import main
    main(["--bench", "--quick", "--T", "5", "--batch", "2", "--repeats", "1"])
    assert "ratio" in capsys.readouterr().out


def test_window_cuts_the_graph_memory_and_truncate_does_not():
    torch.manual_seed(0)
    rnn, x = nn.GRU(4, 16, batch_first=True), torch.randn(4, 80, 4)
    full = graph_bytes(rnn, x, 4)
    assert graph_bytes(rnn, x, 4, window=20) < (20 / 80 + 0.05) * full
    assert abs(graph_bytes(rnn, x, 4, truncate=5) - full) < 0.02 * full


def test_bits_are_nats_over_ln2():
    m = make("gru")
    x = inputs()
    nats = differentiable_spectrum(m, x, 2)
    bits = differentiable_spectrum(m, x, 2, units="bits")
    assert torch.allclose(bits, nats / math.log(2), atol=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    (dict(k=7), "k must be"), (dict(k=0), "k must be"), (dict(window=0), "window"),
    (dict(truncate=0), "truncate"), (dict(state="cell"), "state"), (dict(ties="no"), "ties"),
    (dict(units="dB"), "units"), (dict(reortho_every=0), "reortho_every"),
    (dict(warmup=12), "warmup"), (dict(dtype=torch.float16), "dtype"),
    (dict(frame0=torch.ones(6, 2, dtype=F64), k=2), "orthonormal"),
    (dict(h0=torch.zeros(3, 2, 3, dtype=F64)), "h0"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        differentiable_spectrum(make("rnn_tanh"), inputs(), **kwargs)


def test_bad_models_inputs_and_optimizers_are_named():
    x = inputs()
    with pytest.raises(ValueError, match="rnn must be"):
        differentiable_spectrum(nn.Linear(2, 2), x)
    with pytest.raises(ValueError, match="bidirectional"):
        differentiable_spectrum(nn.GRU(2, 3, bidirectional=True, batch_first=True), x.float())
    bad = x.clone()
    bad[1, 3, 0] = float("nan")
    with pytest.raises(ValueError, match=r"inputs\[1, 3, 0\]"):
        differentiable_spectrum(make("gru"), bad)
    with pytest.raises(ValueError, match="input_size=2"):
        differentiable_spectrum(make("gru"), torch.zeros(2, 5, 3, dtype=F64))
    with pytest.raises(ValueError, match="contains no"):
        find_rnn(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="lr must be"):
        floss(make("gru"), x, steps=1, lr=-1.0)
    with pytest.raises(ValueError, match="optimizer must be"):
        Flosser(make("gru"), x, optimizer="adam")
    with pytest.raises(ValueError, match="every must be"):
        Flosser(make("gru"), x, every=0)


def test_lyapunov_spectrum_differentiable_gradient_matches_finite_differences():
    """The engine's entry point with differentiable=True: same exponents as the default path,
    and a gradient that central finite differences of the default path confirm."""
    torch.manual_seed(3)
    gru = nn.GRU(2, 4, dtype=F64)
    x = torch.randn(25, 2, 2, dtype=F64)
    plain = lyapunov_spectrum(gru, x, k=2, warmup=3)
    assert not plain.exponents.requires_grad
    res = lyapunov_spectrum(gru, x, k=2, warmup=3, differentiable=True)
    assert res.exponents.requires_grad and res.steps == plain.steps == 22
    assert torch.allclose(res.exponents, plain.exponents, atol=1e-12, rtol=0)
    w = gru.weight_hh_l0
    (g,) = torch.autograd.grad(res.exponents[:, 0].sum(), w)
    eps = 1e-6
    for idx in [(0, 0), (5, 2), (11, 3)]:
        with torch.no_grad():
            w[idx] += eps
            up = lyapunov_spectrum(gru, x, k=2, warmup=3).exponents[:, 0].sum().item()
            w[idx] -= 2 * eps
            down = lyapunov_spectrum(gru, x, k=2, warmup=3).exponents[:, 0].sum().item()
            w[idx] += eps
        assert abs((up - down) / (2 * eps) - g[idx].item()) < 1e-6


@pytest.mark.parametrize("bad", [dict(frame="transpose"), dict(history=True),
                                 dict(qr="cholesky"), dict(differentiable=1)])
def test_lyapunov_spectrum_differentiable_refuses_what_it_cannot_do(bad):
    rnn = nn.RNN(2, 3, dtype=F64)
    kw = dict(differentiable=True)
    kw.update(bad)
    with pytest.raises(ValueError, match="differentiable"):
        lyapunov_spectrum(rnn, torch.zeros(5, 1, 2, dtype=F64), **kw)
    with pytest.raises(ValueError, match="window and truncate"):
        lyapunov_spectrum(rnn, torch.zeros(5, 1, 2, dtype=F64), truncate=2)
