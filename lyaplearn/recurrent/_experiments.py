"""Chapter 6's experiments: the spectrum against the initialisation scale, and a short
training run with a monitor."""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from ._models import make_rnn, one_hot_inputs
from ._monitor import SpectrumMonitor
from ._spectrum import lyapunov_spectrum


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
