"""Reference solutions to chapter 10's coding exercises.

Checked by ``tests/test_solutions_ch10.py``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lyaplearn.longdelay import TaskBatch


def floss_scalar(a0: float, lr: float, steps: int) -> np.ndarray:
    """Gradient descent on the flossing loss ``ln(|a|)^2`` of a one-unit linear RNN.

    At the zero state a one-unit tanh RNN with weight ``a`` and no input has the
    exponent ``lambda = ln|a|``, so the loss is ``ln(|a|)^2`` and its derivative
    ``2 ln|a| / a``.
    Returns the ``steps + 1`` weights ``a_0, a_1, ...``.
    """
    if not (isinstance(a0, (int, float)) and math.isfinite(a0) and a0 != 0):
        raise ValueError(f"a0 must be a finite non-zero number, got {a0!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    a = [float(a0)]
    for _ in range(steps):
        a.append(a[-1] - lr * 2 * math.log(abs(a[-1])) / a[-1])
    return np.array(a)


def gradient_to_start(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """``|d y / d h_0|`` per sequence: how strongly the end's read-out feels the start.

    ``model`` has ``model.rnn`` (a ``batch_first`` single-layer ``nn.RNN``) and
    ``model.head`` (a linear read-out of the last state to one number ``y``), as
    :class:`lyaplearn.longdelay.DelayNet`. Autograd through the forward pass with the
    initial state ``h_0 = 0`` requiring a gradient. Returns (B,) norms.
    """
    if not isinstance(inputs, torch.Tensor) or inputs.ndim != 3:
        got = getattr(inputs, "shape", inputs)
        raise ValueError(f"inputs must be a (B, T, I) tensor, got {got}")
    B = inputs.shape[0]
    H = model.rnn.hidden_size
    h0 = torch.zeros(1, B, H, dtype=inputs.dtype, requires_grad=True)
    out, _ = model.rnn(inputs, h0)
    y = model.head(out[:, -1]).sum()   # sequences are independent: one backward for all
    (g,) = torch.autograd.grad(y, h0)
    return g[0].norm(dim=-1).detach()


def delayed_parity(n: int, delay: int, m: int, *, seed: int = 0,
                   distractor: float = 1.0) -> TaskBatch:
    """The delayed parity of ``m`` bits: ``+1`` when an odd number of them are ``-1``.

    Bits on channel 0 at steps ``0 .. m-1``, distractors on channel 1 at every step, the
    answer ``-prod(bits)`` read ``delay`` steps after the last bit (``T = delay + m``).
    For ``m = 2`` this is the delayed XOR's answer.
    """
    for value, name, low in ((n, "n", 1), (delay, "delay", 1), (m, "m", 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    gen = torch.Generator().manual_seed(int(seed))
    bits = torch.randint(0, 2, (n, m), generator=gen).float() * 2 - 1
    T = delay + m
    x = torch.zeros(n, T, 2)
    x[:, :m, 0] = bits
    signs = torch.randint(0, 2, (n, T), generator=gen).float() * 2 - 1
    x[:, :, 1] = distractor * signs
    return TaskBatch(x, -bits.prod(dim=1), bits)
