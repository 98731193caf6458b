"""One differentiable step of a layer and of its tangent map, per architecture (chapter 10).

Everything here is plain torch arithmetic on the module's own parameters, so autograd follows
the trajectory, the tangent frame and the weights alike. The tangent vectors of a layer are
``(B, k, H)`` blocks (one row per column of the frame), as in the book's engine
(:mod:`lyaplearn.recurrent`), but written independently of it: the tests compare the two.

Each layer class has

``state_step(xp, s)``
    the new state from the input projection ``xp = W_ih x + b_ih`` (B, gates*H) and the
    state ``s`` (``h`` or ``(h, c)``), and the hidden state that feeds the next layer;
``step(xp, s, dx, ds)``
    the same, and the tangent map applied to ``ds`` (the layer's own blocks of the frame,
    a tuple of (B, k, H)) and to ``dx`` (B, k, H_in), the new tangent of the layer below
    (``None`` for the first layer, whose input is data, not state).
"""

from __future__ import annotations

import torch
from torch import nn


class _Layer:
    """Weights of layer ``l`` cast to ``dtype`` (differentiable casts of the parameters)."""

    gates = 1
    blocks = 1          # tangent blocks per layer in the frame

    def __init__(self, rnn: nn.Module, l: int, dtype: torch.dtype):
        self.H = rnn.hidden_size
        self.W_ih = getattr(rnn, f"weight_ih_l{l}").to(dtype)
        self.W_hh = getattr(rnn, f"weight_hh_l{l}").to(dtype)
        if rnn.bias:
            self.b_ih = getattr(rnn, f"bias_ih_l{l}").to(dtype)
            self.b_hh = getattr(rnn, f"bias_hh_l{l}").to(dtype)
        else:
            self.b_ih = self.b_hh = None

    def guard(self, hook) -> None:
        """Route the weights through fresh views with ``hook`` on their gradient (per call)."""
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            t = getattr(self, name)
            if t is not None and t.requires_grad:
                t = t.view_as(t)
                t.register_hook(hook)
                setattr(self, name, t)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """``W_ih x + b_ih`` for inputs of any leading shape."""
        out = x @ self.W_ih.t()
        return out if self.b_ih is None else out + self.b_ih

    def _rec(self, h: torch.Tensor) -> torch.Tensor:
        out = h @ self.W_hh.t()
        return out if self.b_hh is None else out + self.b_hh

    def _tangent_in(self, dh: torch.Tensor, dx: torch.Tensor | None) -> torch.Tensor:
        """``W_hh dh + W_ih dx``, (B, k, gates*H)."""
        out = dh @ self.W_hh.t()
        return out if dx is None else out + dx @ self.W_ih.t()

    def zeros(self, B: int, like: torch.Tensor):
        return like.new_zeros(B, self.H)


class _Elman(_Layer):
    """``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act tanh or ReLU."""

    def __init__(self, rnn, l, dtype, full):
        super().__init__(rnn, l, dtype)
        self.tanh = rnn.nonlinearity == "tanh"

    def state_step(self, xp, h):
        pre = xp + self._rec(h)
        h = torch.tanh(pre) if self.tanh else torch.relu(pre)
        return h, h

    def step(self, xp, h, dx, ds):
        pre = xp + self._rec(h)
        if self.tanh:
            h = torch.tanh(pre)
            slope = 1 - h * h
        else:
            h = torch.relu(pre)
            slope = (pre > 0).to(pre.dtype)
        dh = self._tangent_in(ds[0], dx) * slope.unsqueeze(1)
        return h, h, (dh,), dh


class _GRU(_Layer):
    """torch's GRU: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1-z) n + z h``."""

    gates = 3

    def __init__(self, rnn, l, dtype, full):
        super().__init__(rnn, l, dtype)

    def _gates(self, xp, h):
        H = self.H
        xr, xz, xn = xp.split(H, -1)
        hr, hz, hn = self._rec(h).split(H, -1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return r, z, n, hn

    def state_step(self, xp, h):
        _, z, n, _ = self._gates(xp, h)
        h = (1 - z) * n + z * h
        return h, h

    def step(self, xp, h, dx, ds):
        H = self.H
        r, z, n, hn = self._gates(xp, h)
        dh = ds[0]
        Ah_r, Ah_z, Ah_n = (dh @ self.W_hh.t()).split(H, -1)
        if dx is None:
            a_r, a_z, a_n = Ah_r, Ah_z, 0.0
        else:
            Ai_r, Ai_z, Ai_n = (dx @ self.W_ih.t()).split(H, -1)
            a_r, a_z, a_n = Ai_r + Ah_r, Ai_z + Ah_z, Ai_n
        r1, z1, n1, hn1 = (t.unsqueeze(1) for t in (r, z, n, hn))
        d_r = r1 * (1 - r1) * a_r
        d_z = z1 * (1 - z1) * a_z
        d_n = (1 - n1 * n1) * (a_n + d_r * hn1 + r1 * Ah_n)
        dnew = (1 - z1) * d_n + d_z * (h.unsqueeze(1) - n1) + z1 * dh
        hnew = (1 - z) * n + z * h
        return hnew, hnew, (dnew,), dnew


class _LSTM(_Layer):
    """torch's LSTM, state ``(h, c)``. ``full``: the frame holds ``(dh, dc)``; else only ``dh``.

    With ``full=False`` the cell state is held fixed in the tangent map (``dc = 0`` coming
    in), the Jacobian ``dh_t/dh_{t-1}`` of Vogt et al.'s public code; the trajectory itself is
    the true one.
    """

    gates = 4

    def __init__(self, rnn, l, dtype, full):
        super().__init__(rnn, l, dtype)
        self.full = full
        self.blocks = 2 if full else 1

    def zeros(self, B, like):
        z = like.new_zeros(B, self.H)
        return (z, z)

    def _gates(self, xp, h):
        i, f, g, o = (xp + self._rec(h)).split(self.H, -1)
        return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)

    def state_step(self, xp, s):
        h, c = s
        i, f, g, o = self._gates(xp, h)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return (h, c), h

    def step(self, xp, s, dx, ds):
        h, c = s
        i, f, g, o = self._gates(xp, h)
        cn = f * c + i * g
        tc = torch.tanh(cn)
        hn = o * tc
        A_i, A_f, A_g, A_o = self._tangent_in(ds[0], dx).split(self.H, -1)
        i1, f1, g1, o1, c1, tc1 = (t.unsqueeze(1) for t in (i, f, g, o, c, tc))
        dc = i1 * (1 - i1) * A_i * g1 + f1 * (1 - f1) * A_f * c1 + i1 * (1 - g1 * g1) * A_g
        if self.full:
            dc = dc + f1 * ds[1]
        dh = o1 * (1 - o1) * A_o * tc1 + o1 * (1 - tc1 * tc1) * dc
        return (hn, cn), hn, ((dh, dc) if self.full else (dh,)), dh


def _make_layers(rnn: nn.Module, arch: str, dtype: torch.dtype, full: bool) -> list[_Layer]:
    cls = {"lstm": _LSTM, "gru": _GRU, "rnn_tanh": _Elman, "rnn_relu": _Elman}[arch]
    return [cls(rnn, l, dtype, full) for l in range(rnn.num_layers)]
