"""Chapter 7's training loop: model, gradients, truncated BPTT, recorded spectra, resumption."""

import numpy as np
import pytest
import torch

from lyaplearn import data as D
from lyaplearn import training as T
from lyaplearn.recurrent import lyapunov_spectrum_step

pytestmark = pytest.mark.fp_sensitive


def synthetic_text(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    words = ["the ", "cat ", "sat ", "on ", "a ", "mat. "]
    return "".join(rng.choice(words, size=n // 3))[:n]


@pytest.fixture(scope="module")
def text_data():
    return D.text_splits(synthetic_text())


SMALL = dict(hidden=8, batch=4, seq_len=20, steps_per_epoch=3, eval_len=200, probe_n=3,
             probe_warmup=10, probe_steps=30)


def test_no_bias_and_uniform_init(text_data):
    m = T.make_model(T.RunConfig(hidden=64, p=0.1), text_data)
    names = [n for n, _ in m.named_parameters()]
    assert not any("bias" in n for n in names)
    w = torch.cat([p.detach().ravel() for p in m.parameters()])
    assert w.abs().max() <= 0.1 and w.abs().max() > 0.099
    assert abs(float(w.var()) - 0.1 ** 2 / 3) < 1e-4       # variance of U(-p, p) is p^2/3


def test_loss_gradient_matches_finite_differences(text_data):
    cfg = T.RunConfig(hidden=5, p=0.3)
    m = T.make_model(cfg, text_data).double()
    x = m.inputs(torch.as_tensor(text_data.train[:13, None]))
    y = torch.as_tensor(text_data.train[1:14, None])

    def loss():
        return m.loss(m(x)[0], y)

    W = m.lstm.weight_hh_l0
    g = torch.autograd.grad(loss(), W)[0]
    eps = 1e-6
    for (i, j) in [(0, 0), (3, 2), (17, 4), (19, 1)]:
        with torch.no_grad():
            W[i, j] += eps
            up = loss().item()
            W[i, j] -= 2 * eps
            down = loss().item()
            W[i, j] += eps
        assert abs((up - down) / (2 * eps) - g[i, j].item()) < 1e-7


def test_streams_carry_on_where_the_last_window_ended():
    s = T.Streams(torch.arange(101), batch=4, seq_len=5)
    x1, y1, r1 = s.next()
    x2, y2, r2 = s.next()
    assert not r1 and not r2
    assert torch.equal(y1, x1 + 1) and torch.equal(x2[0], y1[-1])
    assert torch.equal(x1[0], torch.tensor([0, 25, 50, 75]))
    for _ in range(3):
        s.next()
    assert s.next()[2]                                # the sixth window restarts the streams


def lstm_step(lstm):
    """The (h, c) map of a one-layer bias-free nn.LSTM, written out independently."""
    Wi, Wh = lstm.weight_ih_l0.detach().double(), lstm.weight_hh_l0.detach().double()
    H = lstm.hidden_size

    def step(s, x):
        h, c = s[:, :H], s[:, H:]
        i, f, g, o = (x @ Wi.T + h @ Wh.T).split(H, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.cat([torch.sigmoid(o) * torch.tanh(c), c], -1)

    return step


def test_recorded_spectrum_matches_an_independent_autograd_computation(text_data):
    cfg = T.RunConfig(state="full", p=0.5, epochs=0, **SMALL)
    run = T.train_run(cfg, text_data)
    model = T.make_model(cfg, text_data)        # the same initial weights as epoch 0
    probe = T.probe_inputs(model, text_data.test, cfg).double()
    ref = lyapunov_spectrum_step(lstm_step(model.lstm), torch.zeros(3, 16, dtype=torch.float64),
                                 probe, warmup=cfg.probe_warmup)
    np.testing.assert_allclose(run["records"][0]["spectrum"], ref.mean, atol=1e-9)
    assert run["records"][0]["features"]["max"] == pytest.approx(ref.numpy().max(1).mean())


def test_resumed_run_gives_the_records_of_an_uninterrupted_one(text_data, tmp_path):
    cfg = T.RunConfig(dropout=0.2, epochs=3, **SMALL)
    full = T.train_run(cfg, text_data)
    ck = tmp_path / "run.pt"
    part = T.train_run(cfg, text_data, checkpoint=ck, stop_after=1)
    assert not part["complete"] and len(part["records"]) == 2
    resumed = T.train_run(cfg, text_data, checkpoint=ck)
    assert resumed["complete"]
    for a, b in zip(full["records"], resumed["records"]):
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-6)
        np.testing.assert_allclose(a["spectrum"], b["spectrum"], rtol=1e-6, atol=1e-9)


def test_training_learns_the_synthetic_text(text_data):
    cfg = T.RunConfig(hidden=16, batch=8, seq_len=30, steps_per_epoch=20, epochs=3, lr=2e-2,
                      eval_len=1000, probe_n=2, probe_warmup=10, probe_steps=20)
    run = T.train_run(cfg, text_data)
    first, last = run["records"][0]["val_loss"], T.best_val_loss(run)
    assert first > 0.9 * np.log(text_data.n_vocab)   # close to a uniform guess at the start
    assert last < 0.6 * first                        # wide margin: it learns the words


def test_callback_stops_a_run(text_data):
    run = T.train_run(T.RunConfig(epochs=4, **SMALL), text_data, callback=lambda r: r["epoch"] == 2)
    assert not run["complete"] and len(run["records"]) == 3


def test_bad_config_and_data(text_data):
    with pytest.raises(ValueError, match="task"):
        T.RunConfig(task="vision")
    with pytest.raises(ValueError, match="dropout"):
        T.RunConfig(dropout=1.0)
    with pytest.raises(ValueError, match="hidden"):
        T.RunConfig(hidden=0)
    with pytest.raises(ValueError, match="does not match"):
        T.train_run(T.RunConfig(task="regression"), text_data)
