"""Networks and inputs to try the engine on: the paper's U(-p, p) initialisation and random
one-hot sequences (chapter 6)."""

from __future__ import annotations

import torch
from torch import nn

from .._checks import _check_float
from ._checks import _check_choice, _check_int


def init_uniform(rnn: nn.Module, p: float, *, seed: int = 0) -> nn.Module:
    """Set every parameter of ``rnn`` to U(-p, p) in place (the paper's init) and return it."""
    p = _check_float(p, "p", positive=True)
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
    input_size, hidden_size, num_layers = (_check_int(v, name, 1) for v, name in (
        (input_size, "input_size"), (hidden_size, "hidden_size"), (num_layers, "num_layers")))
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
    steps, batch, n_symbols = (_check_int(v, name, 1) for v, name in
                               ((steps, "steps"), (batch, "batch"), (n_symbols, "n_symbols")))
    g = torch.Generator().manual_seed(int(seed))
    idx = torch.randint(0, n_symbols, (steps, batch), generator=g)
    return nn.functional.one_hot(idx, n_symbols).to(dtype)
