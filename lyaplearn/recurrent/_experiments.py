"""Chapter 6's experiments: the paper's U(-p, p) initialisation, one-hot drives, the init sweep,
and a short training run with a monitor."""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from ._checks import _check_choice
from ._monitor import SpectrumMonitor
from ._spectrum import lyapunov_spectrum


def init_uniform(rnn: nn.Module, p: float, *, seed: int = 0) -> nn.Module:
    """Set every parameter of ``rnn`` to U(-p, p) in place (the paper's init) and return it."""
    if not (isinstance(p, (int, float)) and p > 0):
        raise ValueError(f"p must be a positive number, got {p!r}")
    g = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for prm in rnn.parameters():
            u = torch.rand(prm.shape, generator=g, dtype=torch.float64) * (2 * p) - p
            prm.copy_(u.to(prm.dtype))
    return rnn


def make_rnn(arch: str, input_size: int, hidden_size: int, p: float, *, num_layers: int = 1,
             bias: bool = True, seed: int = 0, dtype: torch.dtype = torch.float64) -> nn.Module:
    """A fresh ``nn.LSTM``/``GRU``/``RNN`` with every weight drawn from U(-p, p).

    ``arch`` is ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``.
    """
    _check_choice(arch, ("lstm", "gru", "rnn_tanh", "rnn_relu"), "arch")
    torch.manual_seed(seed)  # only to make module construction reproducible
    kw = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=bias)
    if arch == "lstm":
        m = nn.LSTM(**kw)
    elif arch == "gru":
        m = nn.GRU(**kw)
    else:
        m = nn.RNN(nonlinearity=arch.split("_")[1], **kw)
    return init_uniform(m.to(dtype), p, seed=seed)


def one_hot_inputs(steps: int, batch: int, n_symbols: int, *, seed: int = 0,
                   dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Random one-hot sequences (steps, batch, n_symbols), like characters of a text."""
    if steps < 1 or batch < 1 or n_symbols < 1:
        raise ValueError(f"steps, batch and n_symbols must be positive, got "
                         f"{steps}, {batch}, {n_symbols}")
    g = torch.Generator().manual_seed(int(seed))
    idx = torch.randint(0, n_symbols, (steps, batch), generator=g)
    return nn.functional.one_hot(idx, n_symbols).to(dtype)


def init_sweep(arch: str, ps: Sequence[float], *, hidden: int = 32, n_symbols: int = 16,
               batch: int = 8, steps: int = 200, warmup: int = 50, frame_warmup: int = 50,
               state: str = "full", seed: int = 0) -> dict:
    """Spectra of freshly initialised networks, weights U(-p, p), for each ``p``.

    Driven by random one-hot sequences; returns ``{p: SpectrumResult}``.
    """
    X = one_hot_inputs(steps, batch, n_symbols, seed=seed + 1)
    out = {}
    for p in ps:
        m = make_rnn(arch, n_symbols, hidden, p, seed=seed)
        out[p] = lyapunov_spectrum(m, X, warmup=warmup, frame_warmup=frame_warmup, state=state)
    return out


def train_with_monitor(rnn: nn.Module, inputs: torch.Tensor, *, epochs: int = 20,
                       every: int = 5, lr: float = 0.05, probe: torch.Tensor | None = None,
                       seed: int = 0, progress: bool = False, **spectrum_kwargs: Any):
    """Train ``rnn`` + a linear read-out to predict the next one-hot symbol, with a monitor.

    One optimizer step (full batch, Adam) per epoch on ``inputs`` (T, B, n).
    Returns ``(monitor, losses)``; ``monitor.overhead`` is the spectrum time
    as a fraction of the training time.
    """
    torch.manual_seed(seed)
    n = inputs.shape[-1]
    head = nn.Linear(rnn.hidden_size, n).to(next(rnn.parameters()).dtype)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=lr)
    target = inputs[1:].argmax(-1)
    mon = SpectrumMonitor(rnn, inputs if probe is None else probe, every=every,
                          **spectrum_kwargs)
    losses = []
    it = range(epochs)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="training")
    mon.start()
    for _ in it:
        out, _ = rnn(inputs[:-1])
        loss = nn.functional.cross_entropy(head(out).reshape(-1, n), target.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        mon.step()
    return mon, losses
