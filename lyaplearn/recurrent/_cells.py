"""One object per architecture: a layer's trajectory, tangent map and Jacobian blocks.

Chapter 6, "The Jacobian of one LSTM step" and "From the Jacobian to the spectrum, without
diagonal matrices". ``_LAYERS`` maps an architecture name to its class.
"""

from __future__ import annotations

import torch
from torch import nn


def _rowscale_sum(a: torch.Tensor, W: torch.Tensor, g: int) -> torch.Tensor:
    """``M[b] = sum_j diag(a[b, j]) W_j`` (B, H, n) over the ``g`` gate blocks of ``W``.

    Built by broadcasting: no diagonal matrix is formed.
    """
    H = W.shape[0] // g
    a = a.view(a.shape[0], g, H, 1)
    Wg = W.view(g, H, -1)
    M = a[:, 0] * Wg[0]
    for j in range(1, g):
        M.addcmul_(a[:, j], Wg[j])
    return M


class _Layer:
    """One layer of one architecture: its weights (cast copies) and four methods.

    The engine loops over layers and never branches on the architecture; a new
    cell is one new subclass.

    ``run(inp, state, need_coef)``
        the trajectory over inputs (T, B, I) from ``state`` (``h`` or
        ``(h, c)``, each (B, H)). Returns the final state, the hidden states
        (T, B, H) that feed the next layer, the tangent coefficients (a dict of
        tensors with a leading time axis, or ``None``) and the state
        trajectories to check for overflow.
    ``tangent(c, t, QT, off, dx, out)``
        applies the step-``t`` Jacobian to the layer's columns ``off ..
        off + blocks*H`` of the frame ``QT`` (B, k, D), given ``dx`` (B*k, H),
        the new tangent of the layer below (``None`` for the first layer), and
        writes the same columns of ``out``. (Offsets rather than slices: on the
        CPU each view costs a few microseconds a step.)
    ``build(c, first)``
        the dense blocks ``(M_in, M_rec, diag)`` of one step from coefficients
        already taken at that step (see :meth:`_Engine.formed`); only where
        ``formable``.
    ``step(s, inp)``
        one step of the layer's full state ``s`` (B, blocks*H) in plain
        differentiable torch (for :func:`make_step`): the new state's parts and
        the hidden state for the next layer.
    """

    gates = 1
    formable = False       # has a ``build`` (method="formed")
    has_cell = False       # state is (h, c)

    def __init__(self, rnn: nn.Module, l: int, state: str, cast: dict):
        self.H = rnn.hidden_size
        self.blocks = 1
        self.W_ih = getattr(rnn, f"weight_ih_l{l}").detach().to(**cast)
        self.W_hh = getattr(rnn, f"weight_hh_l{l}").detach().to(**cast)
        self.WT_ih, self.WT_hh = self.W_ih.t(), self.W_hh.t()
        if rnn.bias:
            self.b_ih = getattr(rnn, f"bias_ih_l{l}").detach().to(**cast)
            self.b_hh = getattr(rnn, f"bias_hh_l{l}").detach().to(**cast)
        else:
            self.b_ih = self.b_hh = torch.zeros(self.gates * self.H, **cast)

    def _input_part(self, inp: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``W_ih x + bias`` for all T steps in one product: (T, B, gates*H)."""
        T, B = inp.shape[:2]
        return torch.addmm(bias, inp.reshape(T * B, -1), self.WT_ih).view(T, B, -1)


class _LSTMLayer(_Layer):
    """LSTM layer; state ``(h, c)``. ``state="hidden"`` keeps only ``h`` in the frame."""

    gates = 4
    formable = True
    has_cell = True

    def __init__(self, rnn, l, state, cast):
        super().__init__(rnn, l, state, cast)
        self.full = state == "full"
        self.blocks = 2 if self.full else 1

    def run(self, inp, state, need_coef):
        h, c = state
        H, T, B = self.H, inp.shape[0], inp.shape[1]
        xp = self._input_part(inp, self.b_ih + self.b_hh)
        pre = torch.empty_like(xp)
        cs = torch.empty(T + 1, B, H, dtype=xp.dtype, device=xp.device)
        hs = torch.empty(T, B, H, dtype=xp.dtype, device=xp.device)
        cs[0] = c
        whh = self.WT_hh
        for t in range(T):
            gt = torch.addmm(xp[t], h, whh)
            pre[t] = gt
            i, f, g, o = gt.split(H, -1)
            i = torch.sigmoid(i)
            f = torch.sigmoid(f)
            g = torch.tanh(g)
            o = torch.sigmoid(o)
            c = torch.addcmul(f * c, i, g)
            h = o * torch.tanh(c)
            cs[t + 1] = c
            hs[t] = h
        return (h, c), hs, self._coef(pre, cs) if need_coef else None, (hs, cs[1:])

    def _coef(self, pre: torch.Tensor, cs: torch.Tensor) -> dict:
        H = self.H
        i, f, g, o = pre.split(H, -1)
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        g = torch.tanh(g)
        c_prev, c_new = cs[:-1], cs[1:]
        tc = torch.tanh(c_new)
        # G = W_ih dx + W_hh dh (gate pre-activation tangents) is scaled row-wise by
        # coef to give the contributions to dc' (i, f, g rows) and to dh' (o rows).
        coef = torch.cat([i * (1 - i) * g, f * (1 - f) * c_prev, i * (1 - g * g),
                          o * (1 - o) * tc], dim=-1)
        dtc = o * (1 - tc * tc)          # dh'/dc'
        out = {"coef": coef, "f": f, "dtc": dtc}
        if not self.full:
            # dh'/d(pre) rows for the hidden-only (c held fixed) Jacobian
            out["hcoef"] = torch.cat([coef[..., :3 * H] * dtc.repeat(1, 1, 3),
                                      coef[..., 3 * H:]], dim=-1)
        return out

    def tangent(self, c, t, QT, off, dx, out):
        B, k, _ = QT.shape
        H = self.H
        G = torch.mm(QT[:, :, off:off + H].reshape(B * k, H), self.WT_hh)
        if dx is not None:
            G.addmm_(dx, self.WT_ih)
        G = G.view(B, k, 4 * H)
        if self.full:
            S = G.mul_(c["coef"][t].unsqueeze(1))
            dcn = S[..., :3 * H].view(B, k, 3, H).sum(2)
            dcn.addcmul_(QT[:, :, off + H:off + 2 * H], c["f"][t].unsqueeze(1))
            dhn = S[..., 3 * H:].addcmul_(dcn, c["dtc"][t].unsqueeze(1))
            out[:, :, off + H:off + 2 * H] = dcn
        else:
            dhn = G.mul_(c["hcoef"][t].unsqueeze(1)).view(B, k, 4, H).sum(2)
        out[:, :, off:off + H] = dhn

    def build(self, c, first):
        if self.full:
            coef, f, eta = c["coef"], c["f"], c["dtc"]
            M_rec = self._block(coef, eta, self.W_hh)
            M_in = None if first else self._block(coef, eta, self.W_ih)
            return M_in, M_rec, (eta * f, f)
        M_rec = _rowscale_sum(c["hcoef"], self.W_hh, 4)
        return None if first else _rowscale_sum(c["hcoef"], self.W_ih, 4), M_rec, None

    def _block(self, coef: torch.Tensor, eta: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
        """Rows ``(h', c')`` (B, 2H, n) of the Jacobian w.r.t. what ``W`` multiplies."""
        H = self.H
        B, n = coef.shape[0], W.shape[1]
        k_i, k_f, k_g, k_o = coef.view(B, 4, H, 1).unbind(1)
        W_i, W_f, W_g, W_o = W.view(4, H, n).unbind(0)
        M = torch.empty(B, 2 * H, n, dtype=W.dtype, device=W.device)
        Mh, Mc = M[:, :H], M[:, H:]
        torch.mul(k_i, W_i, out=Mc)
        Mc.addcmul_(k_f, W_f).addcmul_(k_g, W_g)          # dc'/d(.) = K
        torch.mul(k_o, W_o, out=Mh)
        Mh.addcmul_(eta.unsqueeze(-1), Mc)                  # dh'/d(.) = k_o W_o + eta K
        return M

    def step(self, s, inp):
        H = self.H
        h, c = s[..., :H], s[..., H:2 * H]
        gates = inp @ self.WT_ih + self.b_ih + (h @ self.WT_hh + self.b_hh)
        i, f, g, o = gates.split(H, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return [h, c], h


class _GRULayer(_Layer):
    """GRU layer (torch's convention: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``)."""

    gates = 3
    formable = True

    def run(self, inp, h, need_coef):
        H, T, B = self.H, inp.shape[0], inp.shape[1]
        b_hh = self.b_hh
        xp = self._input_part(inp, self.b_ih)
        hs = torch.empty(T + 1, B, H, dtype=xp.dtype, device=xp.device)
        hps = torch.empty(T, B, 3 * H, dtype=xp.dtype, device=xp.device)
        hs[0] = h
        whh = self.WT_hh
        for t in range(T):
            hp = torch.addmm(b_hh, h, whh)
            hps[t] = hp
            xr, xz, xn = xp[t].split(H, -1)
            hr, hz, hn = hp.split(H, -1)
            r = torch.sigmoid(xr + hr)
            z = torch.sigmoid(xz + hz)
            n = torch.tanh(torch.addcmul(xn, r, hn))
            h = n + z * (h - n)
            hs[t + 1] = h
        return h, hs[1:], self._coef(xp, hps, hs) if need_coef else None, (hs[1:],)

    def _coef(self, xp, hps, hs) -> dict:
        H = self.H
        xr, xz, xn = xp.split(H, -1)
        hr, hz, hn = hps.split(H, -1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h_prev = hs[:-1]
        cn = (1 - z) * (1 - n * n)            # dh'/d(n pre-activation)
        br = cn * hn * r * (1 - r)             # dh'/d(r pre-activation)
        bz = (h_prev - n) * z * (1 - z)        # dh'/d(z pre-activation)
        # input rows: r, z, n pre-activations scale (br, bz, cn);
        # recurrent rows: (br, bz, cn * r) because n sees r * (W_hn h + b_hn)
        return {"a": torch.cat([br, bz, cn], -1), "b": torch.cat([br, bz, cn * r], -1), "z": z}

    def tangent(self, c, t, QT, off, dx, out):
        B, k, H = QT.shape[0], QT.shape[1], self.H
        dh = QT[:, :, off:off + H].reshape(B * k, H)
        S = torch.mm(dh, self.WT_hh).view(B, k, 3 * H).mul_(c["b"][t].unsqueeze(1))
        if dx is not None:
            Gi = torch.mm(dx, self.WT_ih).view(B, k, 3 * H)
            S.addcmul_(Gi, c["a"][t].unsqueeze(1))
        dhn = S.view(B, k, 3, H).sum(2)
        dhn.addcmul_(dh.view(B, k, H), c["z"][t].unsqueeze(1))
        out[:, :, off:off + H] = dhn

    def build(self, c, first):
        M_rec = _rowscale_sum(c["b"], self.W_hh, 3)
        M_rec.diagonal(dim1=-2, dim2=-1).add_(c["z"])
        return None if first else _rowscale_sum(c["a"], self.W_ih, 3), M_rec, None

    def step(self, h, inp):
        H = self.H
        xr, xz, xn = (inp @ self.WT_ih + self.b_ih).split(H, -1)
        hr, hz, hn = (h @ self.WT_hh + self.b_hh).split(H, -1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        return [h], h


class _ElmanLayer(_Layer):
    """``nn.RNN`` layer, ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act tanh or ReLU."""

    def __init__(self, rnn, l, state, cast):
        super().__init__(rnn, l, state, cast)
        self.tanh = rnn.nonlinearity == "tanh"
        self.act = torch.tanh if self.tanh else torch.relu

    def run(self, inp, h, need_coef):
        T, B = inp.shape[:2]
        xp = self._input_part(inp, self.b_ih + self.b_hh)
        hs = torch.empty(T, B, self.H, dtype=xp.dtype, device=xp.device)
        act, whh = self.act, self.WT_hh
        for t in range(T):
            h = act(torch.addmm(xp[t], h, whh))
            hs[t] = h
        coef = None
        if need_coef:
            coef = {"d": 1.0 - hs * hs if self.tanh else (hs > 0).to(hs.dtype)}
        return h, hs, coef, (hs,)

    def tangent(self, c, t, QT, off, dx, out):
        B, k, H = QT.shape[0], QT.shape[1], self.H
        G = torch.mm(QT[:, :, off:off + H].reshape(B * k, H), self.WT_hh)
        if dx is not None:
            G.addmm_(dx, self.WT_ih)
        out[:, :, off:off + H] = G.view(B, k, H).mul_(c["d"][t].unsqueeze(1))

    def step(self, h, inp):
        h = self.act(inp @ self.WT_ih + self.b_ih + (h @ self.WT_hh + self.b_hh))
        return [h], h


_LAYERS = {"lstm": _LSTMLayer, "gru": _GRULayer, "rnn_tanh": _ElmanLayer, "rnn_relu": _ElmanLayer}
