"""The two frame conventions side by side: ``Q <- J Q`` and ``Q <- J^T Q`` (chapter 6).

Two small networks where the difference can be seen: a tanh RNN driven by a
period-3 input, whose exponents in both conventions are known in closed form
(the eigenvalues of the period products), and a random tanh RNN driven by
i.i.d. noise, where the gap in the largest exponent is measured over an
ensemble of sequences.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ._checks import _check_int
from ._jacobian import jacobian
from ._spectrum import lyapunov_spectrum


def period3_rnn(periods: int = 160) -> tuple[nn.Module, torch.Tensor]:
    """A 3-unit tanh RNN without bias and its period-3 drive ``e1, e2, e3, e1, ...``.

    ``W_hh = [[0, 2, 0], [0, 0, 2], [0.5, 0, 0]]`` and ``W_ih = 3 I`` (float64).
    Returns the module and the inputs (3 * periods, 1, 3). The state settles on
    an attracting orbit of period 3 within a few dozen steps.
    """
    periods = _check_int(periods, "periods", 1)
    rnn = nn.RNN(3, 3, bias=False, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.tensor([[0.0, 2.0, 0.0], [0.0, 0.0, 2.0], [0.5, 0.0, 0.0]]))
        rnn.weight_ih_l0.copy_(3 * torch.eye(3, dtype=torch.float64))
    X = torch.eye(3, dtype=torch.float64).repeat(periods, 1).unsqueeze(1)
    return rnn, X


def period_exponents(rnn: nn.Module, inputs: torch.Tensor, period: int, warmup: int
                     ) -> dict[str, np.ndarray]:
    """Closed-form exponents of a periodically driven network on its periodic orbit.

    After ``warmup`` steps (a multiple of ``period``) the state is taken to be
    on the orbit; with the Jacobians ``J_1 .. J_p`` of one period, the forward
    exponents are ``log|eig(J_p ... J_1)| / p`` and the transposed ones
    ``log|eig(J_1 ... J_p)| / p``, sorted descending. Returns
    ``{"forward": ..., "transpose": ...}``.
    """
    with torch.no_grad():
        _, h = rnn(inputs[:warmup])
        Js = []
        for t in range(warmup, warmup + period):
            Js.append(jacobian(rnn, inputs[t], h)[0].numpy())
            _, h = rnn(inputs[t:t + 1], h)
    fwd = np.eye(Js[0].shape[0])
    for J in Js:
        fwd = J @ fwd
    rev = np.eye(Js[0].shape[0])
    for J in Js:
        rev = rev @ J

    def rates(M):
        return np.sort(np.log(np.abs(np.linalg.eigvals(M))) / period)[::-1]

    return {"forward": rates(fwd), "transpose": rates(rev)}


def convention_gap_rnn(n: int = 6, g: float = 2.0, sigma: float = 0.5, *, seed: int = 1
                       ) -> nn.Module:
    """A random tanh RNN without bias: ``W_hh ~ g N(0, 1/n)``, ``W_ih = sigma I`` (float64).

    With the defaults the input keeps it contracting (lambda_1 about -0.15
    nats per step) while its Jacobians, which depend on the state, are far
    from i.i.d.
    """
    gen = torch.Generator().manual_seed(int(seed))
    rnn = nn.RNN(n, n, bias=False, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(g * torch.randn(n, n, generator=gen, dtype=torch.float64)
                               / math.sqrt(n))
        rnn.weight_ih_l0.copy_(sigma * torch.eye(n, dtype=torch.float64))
    return rnn


def convention_gap(rnn: nn.Module, steps: Sequence[int], *, batch: int = 16, warmup: int = 100,
                   seed: int = 7) -> dict[str, np.ndarray]:
    """Largest exponent in both conventions under i.i.d. Gaussian input, for several ``T``.

    For each ``T`` in ``steps``: ``batch`` sequences of ``warmup + T`` standard
    normal inputs. Returns arrays over ``steps``: ``"T"``, the ensemble means
    ``"forward"`` and ``"transpose"`` of lambda_1 (nats per step), and the gap's
    mean ``"gap"`` and standard error ``"se"`` (paired over the sequences).
    """
    gen = torch.Generator().manual_seed(int(seed))
    out = {key: [] for key in ("T", "forward", "transpose", "gap", "se")}
    for T in steps:
        X = torch.randn(warmup + T, batch, rnn.input_size, generator=gen, dtype=torch.float64)
        a = lyapunov_spectrum(rnn, X, warmup=warmup, k=1).numpy()[:, 0]
        b = lyapunov_spectrum(rnn, X, warmup=warmup, k=1, frame="transpose").numpy()[:, 0]
        d = a - b
        for key, v in (("T", T), ("forward", a.mean()), ("transpose", b.mean()),
                       ("gap", d.mean()), ("se", d.std(ddof=1) / math.sqrt(batch))):
            out[key].append(v)
    return {key: np.asarray(v) for key, v in out.items()}
