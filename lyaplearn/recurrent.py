"""Lyapunov spectra of trained ``torch.nn.RNN``, ``GRU`` and ``LSTM`` networks.

This is the book's torch engine (chapter 6). It runs the QR (Benettin)
algorithm of chapter 5 on the state dynamics of a recurrent module driven by
real input sequences, one spectrum per sequence, without ever building a
dense diagonal matrix: the one-step Jacobian is applied to the orthonormal
frame :math:`Q` (``D x k``) by row scaling and matrix products with the
module's own weight blocks, so a partial spectrum of ``k`` exponents costs
:math:`O(k \\cdot \\text{hidden}^2)` per step.

State and conventions
---------------------
The state of a network with ``L`` layers of ``H`` units is

* RNN and GRU: ``(h^1, ..., h^L)``, ``D = L*H``;
* LSTM, ``state="full"`` (default, the true dynamical system):
  ``(h^1, c^1, h^2, c^2, ..., h^L, c^L)``, ``D = 2*L*H``;
* LSTM, ``state="hidden"``: ``(h^1, ..., h^L)`` with the cell states held
  fixed, i.e. the paper's :math:`\\partial h_t / \\partial h_{t-1}`
  (Vogt et al., 2022, appendix B). It is offered to compare with
  published spectra; it is not the Jacobian of any dynamical system.

In a stacked network layer ``l`` reads the *new* hidden state of layer
``l-1`` at the same time step, so the Jacobian is block lower-triangular by
layer. Exponents are natural-log rates, nats per step, of the forward
product :math:`J_T \\cdots J_1` (the frame is updated as :math:`J Q`). The
paper's public code multiplies by :math:`J^\\top` and reports ``log2``; pass
``units="bits"`` for the second convention (the first changes only
finite-time estimates, not the asymptotic exponents of an invertible map).

Main entry points
-----------------
:func:`lyapunov_spectrum`
    spectra of an ``nn.RNN``/``GRU``/``LSTM`` driven by a batch of sequences.
:func:`jacobian`
    the analytic one-step Jacobian (B, D, D).
:func:`lyapunov_spectrum_step`
    the same algorithm for any ``step(state, x) -> state`` via ``torch.func``.
:class:`SpectrumMonitor`
    record spectra while a model trains and report the cost (for PyTorch
    Lightning: :class:`lyaplearn.lightning.LyapunovCallback`).

The frame is re-orthonormalised by Householder QR or, with ``qr="cholesky"``
(the default on data-centre GPUs), by CholeskyQR2 built from matrix products in
float64, with every frame where it breaks down redone by Householder. NaN or
infinite arguments are refused, and a trajectory that overflows on the way is
reported with its time step.

Inside, each architecture is one small class (``_LSTMLayer``, ``_GRULayer``,
``_ElmanLayer``: trajectory, tangent map, Jacobian blocks) and each QR method
one class (``_HouseholderQR``, ``_CholeskyQR``); ``_Engine`` and ``_Benettin``
loop over them without branching on which one they have.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from . import style
from .lyapunov import kaplan_yorke_dimension, spectrum_features

__all__ = [
    "SpectrumResult",
    "lyapunov_spectrum",
    "lyapunov_spectrum_step",
    "jacobian",
    "state_dim",
    "make_step",
    "flatten_state",
    "unflatten_state",
    "init_uniform",
    "make_rnn",
    "one_hot_inputs",
    "init_sweep",
    "train_with_monitor",
    "SpectrumMonitor",
    "draw_spectrum",
    "plot_spectra",
    "plot_convergence",
    "plot_full_vs_hidden",
    "plot_init_sweep",
]

LN2 = math.log(2.0)
_CONVENTIONS = ("full", "hidden")
_UNITS = ("nats", "bits")
_METHODS = ("auto", "direct", "formed")
_FORMED_BUDGET = {"cpu": 0}
"""Elements of formed Jacobian blocks built at once, across time steps, per device type.

On an accelerator building many steps' blocks in one go replaces a few small
kernel launches per step by a few large ones (default 2**24 elements, 64 MiB
in float32). On the CPU there is no launch to save and building ahead only
loses cache locality (measured 0.82-1.0x the per-step build), so 0: one step
at a time.
"""


def _formed_budget(device: torch.device) -> int:
    return _FORMED_BUDGET.get(device.type, 1 << 24)


# ---------------------------------------------------------------------------
# Result object
# ---------------------------------------------------------------------------

@dataclass
class SpectrumResult:
    """Lyapunov spectra of a batch of driven trajectories.

    Attributes
    ----------
    exponents
        Tensor (B, k): one spectrum per input sequence, in :attr:`units` per
        step, sorted descending (unless computed with ``sort=False``).
    units
        ``"nats"`` or ``"bits"``.
    steps
        Number of time steps averaged over (after the warm-ups).
    convention
        ``"full"`` or ``"hidden"`` (see the module docstring).
    history
        ``None`` or a tensor (n, B, k): the running estimate after each
        reorthonormalisation, in the same units, unsorted.
    history_steps
        ``None`` or a tensor (n,): the step count of each history entry.
    qr
        The QR method used, ``"householder"`` or ``"cholesky"``.
    qr_fallbacks
        With ``qr="cholesky"``: how many frames (one per sequence and QR)
        were redone with Householder because CholeskyQR2 broke down or lost
        orthogonality.
    """

    exponents: torch.Tensor
    units: str = "nats"
    steps: int = 0
    convention: str = "full"
    history: torch.Tensor | None = None
    history_steps: torch.Tensor | None = None
    seconds: float = field(default=0.0, repr=False)
    qr: str = field(default="householder", repr=False)
    qr_fallbacks: int = field(default=0, repr=False)

    def numpy(self) -> np.ndarray:
        """The exponents as a float64 numpy array (B, k)."""
        return self.exponents.detach().to("cpu", torch.float64).numpy()

    @property
    def mean(self) -> np.ndarray:
        """Batch mean of the spectra, shape (k,)."""
        return self.numpy().mean(axis=0)

    @property
    def stderr(self) -> np.ndarray:
        """Standard error of the batch mean, shape (k,) (NaN for one sequence)."""
        lam = self.numpy()
        if lam.shape[0] < 2:
            return np.full(lam.shape[1], np.nan)
        with np.errstate(invalid="ignore"):
            return lam.std(axis=0, ddof=1) / math.sqrt(lam.shape[0])

    @property
    def features(self) -> dict:
        """Per-sequence max, mean and variance of the spectrum (arrays (B,))."""
        return spectrum_features(self.numpy())

    @property
    def kaplan_yorke(self) -> np.ndarray:
        """Per-sequence Kaplan–Yorke dimension (array (B,)); meaningful for full spectra."""
        return np.asarray(kaplan_yorke_dimension(self.numpy()))

    def to(self, units: str) -> "SpectrumResult":
        """The same result in other units (``"nats"`` or ``"bits"``)."""
        _check_choice(units, _UNITS, "units")
        if units == self.units:
            return self
        f = 1.0 / LN2 if units == "bits" else LN2
        hist = None if self.history is None else self.history * f
        return SpectrumResult(self.exponents * f, units, self.steps, self.convention,
                              hist, self.history_steps, self.seconds, self.qr,
                              self.qr_fallbacks)


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------

def _check_choice(value: Any, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _fmt_index(idx: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _require_finite(named: Sequence[tuple[str, torch.Tensor]]) -> None:
    """Raise a ValueError naming the first argument with a NaN/inf and its first bad index.

    All tensors are checked on their device with one host synchronisation in
    the common (all finite) case.
    """
    named = [(n, t) for n, t in named if t.is_floating_point() or t.is_complex()]
    if not named:
        return
    oks = torch.stack([torch.isfinite(t).all() for _, t in named])
    if bool(oks.all()):
        return
    for (name, t), ok in zip(named, oks.tolist()):
        if not ok:
            idx = tuple(torch.nonzero(~torch.isfinite(t))[0].tolist())
            val = t[idx].item() if idx else t.item()
            where = name + _fmt_index(idx) if idx else name
            raise ValueError(f"{name} must contain only finite numbers, but {where} = {val}")


def _arch(rnn: Any) -> str:
    if isinstance(rnn, nn.LSTM):
        arch = "lstm"
    elif isinstance(rnn, nn.GRU):
        arch = "gru"
    elif isinstance(rnn, nn.RNN):
        arch = "rnn_" + rnn.nonlinearity
    else:
        raise ValueError(
            f"rnn must be a torch.nn.RNN, GRU or LSTM module, got {type(rnn).__name__}; "
            "use lyapunov_spectrum_step for other cells")
    if rnn.bidirectional:
        raise ValueError("rnn must not be bidirectional: a bidirectional layer reads the "
                         "future of the sequence, so it is not a dynamical system in time")
    if getattr(rnn, "proj_size", 0):
        raise ValueError(f"rnn must have proj_size=0 (LSTM projections are not supported), "
                         f"got proj_size={rnn.proj_size}")
    return arch


# ---------------------------------------------------------------------------
# One object per architecture: a layer's trajectory, tangent map and blocks
# ---------------------------------------------------------------------------

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

    def __init__(self, rnn: nn.Module, l: int, convention: str, cast: dict):
        self.H = rnn.hidden_size
        self.blocks = 1
        self.W_ih = getattr(rnn, f"weight_ih_l{l}").detach().to(**cast)
        self.W_hh = getattr(rnn, f"weight_hh_l{l}").detach().to(**cast)
        self.WT_ih, self.WT_hh = self.W_ih.t(), self.W_hh.t()
        self.named = [(f"rnn.weight_ih_l{l}", self.W_ih), (f"rnn.weight_hh_l{l}", self.W_hh)]
        if rnn.bias:
            self.b_ih = getattr(rnn, f"bias_ih_l{l}").detach().to(**cast)
            self.b_hh = getattr(rnn, f"bias_hh_l{l}").detach().to(**cast)
            self.named += [(f"rnn.bias_ih_l{l}", self.b_ih), (f"rnn.bias_hh_l{l}", self.b_hh)]
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

    def __init__(self, rnn, l, convention, cast):
        super().__init__(rnn, l, convention, cast)
        self.full = convention == "full"
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

    def __init__(self, rnn, l, convention, cast):
        super().__init__(rnn, l, convention, cast)
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


# ---------------------------------------------------------------------------
# The engine: trajectory + coefficients, then tangent maps, layer by layer
# ---------------------------------------------------------------------------

class _Engine:
    """Parameters of a module, cast (as copies) to one dtype/device, as one object per layer."""

    def __init__(self, rnn: nn.Module, convention: str, dtype: torch.dtype | None,
                 device: Any = None):
        self.arch = _arch(rnn)
        _check_choice(convention, _CONVENTIONS, "state")
        self.convention = convention
        p0 = rnn.weight_hh_l0
        self.dtype = dtype if dtype is not None else p0.dtype
        self.device = torch.device(device) if device is not None else p0.device
        self.L = rnn.num_layers
        self.H = rnn.hidden_size
        self.I = rnn.input_size
        self.batch_first = rnn.batch_first
        cast = dict(dtype=self.dtype, device=self.device)
        self.layers = [_LAYERS[self.arch](rnn, l, convention, cast) for l in range(self.L)]
        first = self.layers[0]
        self.lstm = first.has_cell
        self.formable = first.formable
        self.blocks = first.blocks            # state blocks per layer: LSTM full has (h, c)
        self.D = self.blocks * self.L * self.H
        # in the compute dtype: a float64 1e300 that becomes inf in float32 is caught too
        _require_finite([named for lay in self.layers for named in lay.named])

    # -- layer trajectories ------------------------------------------------
    def run(self, X: torch.Tensor, state: list, need_coef: bool = True, finite: bool = False):
        """Evolve the state over inputs X (T, B, I).

        ``state`` is a list over layers of ``h`` (B, H) or ``(h, c)``. Returns
        the final state and, if asked, per-layer coefficient dicts whose
        tensors have a leading time axis. With ``finite=True`` a third value
        is a (T, B) boolean tensor, on the device, telling whether every state
        variable of every layer is finite after each step (no host sync).
        """
        ok = None
        coefs, new_state = [], []
        inp = X
        for lay, s in zip(self.layers, state):
            s, inp, coef, trajs = lay.run(inp, s, need_coef)
            new_state.append(s)
            if need_coef:
                coefs.append(coef)
            if finite:
                for tr in trajs:
                    o = torch.isfinite(tr).all(-1)
                    ok = o if ok is None else ok & o
        if finite:
            return new_state, coefs, ok
        return new_state, coefs

    # -- tangent map ---------------------------------------------------------
    def tangent(self, co: list, t: int, QT: torch.Tensor) -> torch.Tensor:
        """Apply the step-t Jacobian to the frame QT (B, k, D) (rows are vectors)."""
        B, k, D = QT.shape
        w = self.blocks * self.H
        out = torch.empty(B, k, D, dtype=QT.dtype, device=QT.device)
        dx = None
        for l, lay in enumerate(self.layers):
            lay.tangent(co[l], t, QT, l * w, dx, out)
            if l + 1 < self.L:
                dx = out[:, :, l * w:l * w + self.H].reshape(B * k, self.H)
        return out

    def formed_steps(self, B: int, budget: int) -> int:
        """How many time steps of formed blocks fit in ``budget`` elements (at least 1)."""
        rows, H = self.blocks * self.H, self.H
        per_step = sum(B * rows * H * (2 if l > 0 else 1) + (2 * B * H if self.blocks == 2 else 0)
                       for l in range(self.L))
        return max(1, budget // per_step)

    def formed(self, co: list, t: int) -> list:
        """Per-layer dense blocks of the step-t Jacobian, built by row-scaling the weights.

        No diagonal matrix is formed: every block is a sum of weight blocks whose
        rows are scaled by the gate coefficients. For each layer, returns
        ``(M_in, M_rec, diag_terms)``: ``M_rec`` maps the layer's old hidden state
        and ``M_in`` the new hidden state of the layer below (``None`` for the
        first layer) to the layer's new state; for a full-state LSTM the rows are
        ``(h', c')`` and ``diag_terms = (eta * f, f)`` are the diagonal
        couplings of the old cell state to ``h'`` and ``c'``.
        """
        return self._build([{key: v[t] for key, v in c.items()} for c in co])

    def formed_span(self, co: list, t0: int, t1: int) -> list:
        """:meth:`formed` of the steps ``t0 .. t1-1``, built at once: a list over the steps.

        Time and batch are flattened into one batch axis, so the build is a few
        large kernels instead of a few small ones per step.
        """
        n = t1 - t0
        if n == 1:                 # the CPU's case: no flattening and splitting
            return [self.formed(co, t0)]
        mats = self._build([{key: v[t0:t1].flatten(0, 1) for key, v in c.items()} for c in co])

        def split(x):              # (n * B, ...) -> n tensors (B, ...), views
            return [None] * n if x is None else x.unflatten(0, (n, -1)).unbind(0)

        per = [(split(a), split(b), None if d is None else list(zip(split(d[0]), split(d[1]))))
               for a, b, d in mats]
        return [[(a[j], b[j], None if d is None else d[j]) for a, b, d in per]
                for j in range(n)]

    def _build(self, co: list) -> list:
        """:meth:`formed` for coefficients already taken at the step(s): (batch, ...) each."""
        return [lay.build(c, l == 0) for l, (lay, c) in enumerate(zip(self.layers, co))]

    def tangent_formed(self, mats: list, QT: torch.Tensor) -> torch.Tensor:
        """Apply the formed blocks to the frame QT (B, k, D)."""
        B, k, D = QT.shape
        H, nb = self.H, self.blocks
        out = None if self.L == 1 else torch.empty_like(QT)
        dx = None
        for l, (M_in, M_rec, diag) in enumerate(mats):
            off = l * nb * H
            blk = torch.bmm(QT[:, :, off:off + H], M_rec.transpose(1, 2))
            if dx is not None:
                blk.baddbmm_(dx, M_in.transpose(1, 2))
            if diag is not None:
                dc = QT[:, :, off + H:off + 2 * H]
                blk[:, :, :H].addcmul_(dc, diag[0].unsqueeze(1))
                blk[:, :, H:].addcmul_(dc, diag[1].unsqueeze(1))
            if out is None:
                return blk
            out[:, :, off:off + nb * H] = blk
            dx = out[:, :, off:off + H]
        return out


# ---------------------------------------------------------------------------
# Inputs and states
# ---------------------------------------------------------------------------

def _inputs_tbi(eng: _Engine, inputs: Any, name: str = "inputs") -> tuple[torch.Tensor, bool]:
    """Inputs as (T, B, I) in the engine's dtype/device; second value: unbatched."""
    if not isinstance(inputs, torch.Tensor):
        inputs = torch.as_tensor(np.asarray(inputs))
    shape = tuple(inputs.shape)
    if inputs.ndim == 2:
        if shape[1] != eng.I:
            raise ValueError(f"{name} must be (seq_len, input_size={eng.I}) when unbatched, "
                             f"got shape {shape}")
        X = inputs.unsqueeze(1)
        unbatched = True
    elif inputs.ndim == 3:
        layout = "(batch, seq_len, input_size)" if eng.batch_first else \
            "(seq_len, batch, input_size)"
        if shape[2] != eng.I:
            raise ValueError(f"{name} must be {layout} with input_size={eng.I}, "
                             f"got shape {shape}")
        X = inputs.transpose(0, 1) if eng.batch_first else inputs
        unbatched = False
    else:
        raise ValueError(f"{name} must have 2 (unbatched) or 3 dimensions, got shape {shape}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least one time step and one sequence, "
                         f"got shape {shape}")
    # checked in the caller's layout, so the reported index is the caller's
    _require_finite([(name, inputs.to(dtype=eng.dtype))])
    return X.to(dtype=eng.dtype, device=eng.device), unbatched


def _state_list(eng: _Engine, h0: Any, B: int, unbatched: bool, name: str = "h0") -> list:
    """The module's state format -> list over layers of h or (h, c), each (B, H)."""
    L, H = eng.L, eng.H
    cast = dict(dtype=eng.dtype, device=eng.device)
    want = (L, H) if unbatched else (L, B, H)

    def one(x, what, label):
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name} must be a tensor {what} of shape {want}, "
                             f"got {type(x).__name__}")
        if tuple(x.shape) != want:
            raise ValueError(f"{name} must have shape {want} (num_layers, batch, hidden) for "
                             f"{what}, got shape {tuple(x.shape)}")
        x = x.detach().to(**cast)
        _require_finite([(label, x)])
        return x.unsqueeze(1) if unbatched else x

    if h0 is None:
        z = torch.zeros(L, B, H, **cast)
        return [(z[l], z[l].clone()) for l in range(L)] if eng.lstm else [z[l] for l in range(L)]
    if eng.lstm:
        if not (isinstance(h0, (tuple, list)) and len(h0) == 2):
            raise ValueError(f"{name} must be a tuple (h, c) for an LSTM, got {type(h0).__name__}")
        h, c = one(h0[0], "h", f"{name}[0]"), one(h0[1], "c", f"{name}[1]")
        return [(h[l], c[l]) for l in range(L)]
    h = one(h0, "h", name)
    return [h[l] for l in range(L)]


def state_dim(rnn: nn.Module, state: str = "full") -> int:
    """Dimension ``D`` of the state whose spectrum is computed (see module docstring)."""
    arch = _arch(rnn)
    _check_choice(state, _CONVENTIONS, "state")
    blocks = 2 if (arch == "lstm" and state == "full") else 1
    return blocks * rnn.num_layers * rnn.hidden_size


def flatten_state(state: Any) -> torch.Tensor:
    """Module state ``h`` or ``(h, c)`` of shape (L, B, H) -> flat (B, D).

    The order is layer by layer, ``(h^1, c^1, h^2, c^2, ...)`` for an LSTM.
    """
    if isinstance(state, (tuple, list)):
        h, c = state
        L, B, H = h.shape
        return torch.stack([h, c], 1).permute(2, 0, 1, 3).reshape(B, 2 * L * H)
    L, B, H = state.shape
    return state.permute(1, 0, 2).reshape(B, L * H)


def unflatten_state(flat: torch.Tensor, num_layers: int, lstm: bool) -> Any:
    """Inverse of :func:`flatten_state`."""
    B, D = flat.shape
    if lstm:
        H = D // (2 * num_layers)
        x = flat.view(B, num_layers, 2, H).permute(2, 1, 0, 3)
        return x[0].contiguous(), x[1].contiguous()
    H = D // num_layers
    return flat.view(B, num_layers, H).permute(1, 0, 2).contiguous()


# ---------------------------------------------------------------------------
# One-step Jacobian
# ---------------------------------------------------------------------------

def jacobian(rnn: nn.Module, x_t: Any, state: Any = None, *, convention: str = "full",
             dtype: torch.dtype | None = None) -> torch.Tensor:
    """Analytic one-step Jacobian of the state map, shape (B, D, D).

    Parameters
    ----------
    rnn
        ``nn.RNN`` (tanh or relu), ``nn.GRU`` or ``nn.LSTM`` (not bidirectional,
        no ``proj_size``).
    x_t
        Input at this step, (B, input_size).
    state
        The state the module takes, ``h`` or ``(h, c)`` with shapes
        (num_layers, B, hidden); ``None`` means zeros.
    convention
        ``"full"``: state ``(h^1, c^1, ..., h^L, c^L)`` for an LSTM;
        ``"hidden"``: ``dh_t/dh_{t-1}`` with the cell states held fixed.
        RNN and GRU have only ``h``, so both are the same.
    dtype
        Compute in this dtype (default: the module's).

    Returns
    -------
    torch.Tensor
        (B, D, D), block lower-triangular by layer; ``J[b, i, j]`` is
        ``d state'_i / d state_j`` in the order of :func:`flatten_state`.
    """
    eng = _Engine(rnn, convention, dtype)
    if not isinstance(x_t, torch.Tensor) or x_t.ndim != 2 or x_t.shape[1] != eng.I:
        shape = tuple(x_t.shape) if isinstance(x_t, torch.Tensor) else type(x_t).__name__
        raise ValueError(f"x_t must be a tensor (batch, input_size={eng.I}), got {shape}")
    _require_finite([("x_t", x_t.detach().to(eng.dtype))])
    B = x_t.shape[0]
    with torch.no_grad():
        st = _state_list(eng, state, B, False, name="state")
        X = x_t.detach().to(dtype=eng.dtype, device=eng.device).unsqueeze(0)
        _, co = eng.run(X, st)
        I = torch.eye(eng.D, dtype=eng.dtype, device=eng.device).expand(B, -1, -1)
        JT = eng.tangent(co, 0, I.contiguous())
    return JT.transpose(1, 2).contiguous()


# ---------------------------------------------------------------------------
# The QR loop shared by both paths
# ---------------------------------------------------------------------------

def _check_k(k: Any, D: int) -> int:
    if k is None:
        return D
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= D:
        raise ValueError(f"k must be an integer in [1, D={D}] (number of exponents), got {k!r}")
    return int(k)


def _check_steps(warmup, frame_warmup, reortho_every, T):
    for name, v, lo in (("warmup", warmup, 0), ("frame_warmup", frame_warmup, 0),
                        ("reortho_every", reortho_every, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if warmup + frame_warmup >= T:
        raise ValueError(f"warmup + frame_warmup must be smaller than the number of time steps "
                         f"T={T}, got warmup={warmup}, frame_warmup={frame_warmup}")


def _initial_frame(frame0, B, D, k, seed, dtype, device) -> torch.Tensor:
    """Orthonormal starting frame as QT (B, k, D)."""
    if frame0 is None:
        if k == D:
            # any orthonormal basis spans the whole space: the identity, as in the paper
            return torch.eye(D, dtype=dtype, device=device).expand(B, D, D).contiguous()
        g = torch.Generator().manual_seed(int(seed))
        A = torch.randn(k, D, generator=g, dtype=dtype)
        Q = torch.linalg.qr(A.t())[0].to(device=device)
        return Q.t().unsqueeze(0).expand(B, k, D).contiguous()
    if not isinstance(frame0, torch.Tensor) or frame0.shape[-2:] != (D, k) or \
            frame0.ndim not in (2, 3) or (frame0.ndim == 3 and frame0.shape[0] != B):
        shape = tuple(frame0.shape) if isinstance(frame0, torch.Tensor) else type(frame0).__name__
        raise ValueError(f"frame0 must be a tensor ({D}, {k}) or ({B}, {D}, {k}) "
                         f"(state dim, k), got {shape}")
    Q = frame0.detach().to(dtype=dtype, device=device)
    _require_finite([("frame0", Q)])
    if Q.ndim == 2:
        Q = Q.unsqueeze(0).expand(B, D, k)
    return Q.transpose(1, 2).contiguous()


def _qr_logs(QT: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Householder QR of the frame; returns the new QT and log|diag R| (B, k).

    ``QT`` (B, k, D) row-major is the frame (B, D, k) in the column-major
    layout LAPACK works in, so ``geqrf`` needs no copy; ``diag R`` is read off
    its output (no triangular R is built) and ``householder_product`` forms
    the new frame. ``log|r_ii|`` is sign-safe and gives ``-inf`` for a zero.
    """
    a, tau = torch.geqrf(QT.transpose(1, 2))
    logs = torch.diagonal(a, dim1=-2, dim2=-1).abs().log()
    Q = torch.linalg.householder_product(a, tau)
    return Q.transpose(1, 2), logs


class _HouseholderQR:
    """Householder QR (LAPACK/cuSOLVER ``geqrf``): backward stable for any frame.

    Called on a frame ``QT`` (B, k, D), returns the orthonormal frame and
    ``log|diag R|`` (B, k). It never synchronises with the host.
    """

    name = "householder"
    syncs = False
    can_defer = False

    def __init__(self):
        self.fallbacks = 0
        self.defer = False

    def __call__(self, QT: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _qr_logs(QT)


class _CholeskyQR:
    """CholeskyQR2 from matrix products, in float64, with a per-sequence Householder fallback.

    For a frame ``V`` (D x k): ``G = V^T V = L L^T``, ``Q1 = V L^{-T}``, and the
    same again on ``Q1``, so ``V = Q2 R`` with ``R = L2^T L1^T`` and
    ``log r_ii = log l1_ii + log l2_ii``. Two Gram matrices, two small
    Cholesky factorisations and two triangular solves: matrix products that a
    GPU runs far faster than Householder reflections.

    CholeskyQR2 is accurate while the frame's condition number stays below
    about ``eps**-1/2`` of the arithmetic: 7e7 in float64 but 3e3 in float32,
    and one step of a full-state LSTM has frames of condition 1e6-3e7 (the
    ``LSTM full`` cases of the GPU benchmark, measured). So it always computes
    in float64, and a float32 frame is cast up and its ``Q`` cast back
    (mixed-precision CholeskyQR, Yamazaki, Tomov and Dongarra, SIAM J. Sci.
    Comput. 37, 2015). On those frames float32 CholeskyQR2 broke down on every
    frame, while in float64 none did and ``log r_ii`` matched a float64
    Householder QR of the same float32 data to 1e-11, closer than a float32
    Householder QR (2e-3). ``"auto"`` picks it only on GPUs whose float64
    products have the float32 peak rate (see :func:`_pick_qr`).

    Beyond that the first Cholesky factor is wrong or the factorisation breaks
    down. Both are detected per sequence: ``cholesky_ex``'s ``info``
    (breakdown), non-finite factors, and the orthogonality of the first pass,
    ``||Q1^T Q1 - I||_F``, which is read off the second Gram matrix at no
    extra cost (above ``tol`` the second pass is no longer guaranteed to
    restore orthogonality). Exactly those frames are redone with Householder,
    so the result is never less accurate than Householder's; ``fallbacks``
    counts them. Deciding which frames to redo reads one boolean per sequence
    on the host: one synchronisation per QR.

    With ``defer = True`` (set by :meth:`_Benettin.chunk`) it reads nothing:
    the breakdown flags are or-ed into one device flag, ``broken``, that the
    caller reads once per chunk of time steps and, if set, redoes the chunk
    with ``defer = False``. While deferred, ``log|r_ii|`` of a broken frame is
    reported as 0 so that nothing downstream mistakes the throw-away values
    for an overflow.
    """

    name = "cholesky"
    syncs = True
    can_defer = True

    def __init__(self, tol: float = 0.5):
        self.tol = tol
        self.fallbacks = 0
        self.defer = False
        self.broken: torch.Tensor | None = None

    @staticmethod
    def _pass(QT: torch.Tensor):
        G = torch.matmul(QT, QT.transpose(1, 2))                     # (B, k, k)
        L, info = torch.linalg.cholesky_ex(G)
        Qn = torch.linalg.solve_triangular(L, QT, upper=False, left=True)
        return Qn, torch.diagonal(L, dim1=-2, dim2=-1), info, G

    def __call__(self, QT: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        wide = torch.promote_types(QT.dtype, torch.float64)
        Q1, d1, info1, _ = self._pass(QT.to(wide))
        Q2, d2, info2, G2 = self._pass(Q1)
        logs = d1.log() + d2.log()
        eye = torch.eye(G2.shape[-1], dtype=G2.dtype, device=G2.device)
        orth = (G2 - eye).norm(dim=(-2, -1))
        ok = (info1 == 0) & (info2 == 0) & (orth <= self.tol) & torch.isfinite(logs).all(-1)
        Q2, logs = Q2.to(QT.dtype), logs.to(QT.dtype)
        if self.defer:                                                # no host sync
            bad = ~ok.all()
            self.broken = bad if self.broken is None else self.broken | bad
            return Q2, torch.where(ok.unsqueeze(-1), logs, torch.zeros_like(logs))
        bad = torch.nonzero(~ok).flatten()                            # the one host sync
        if bad.numel():
            self.fallbacks += bad.numel()
            Qh, lh = _qr_logs(QT.index_select(0, bad))
            Q2 = Q2.index_copy(0, bad, Qh)
            logs = logs.index_copy(0, bad, lh)
        return Q2, logs

    def take_broken(self) -> bool:
        """Whether a deferred QR broke down since the last call (one host read); resets."""
        broken, self.broken = self.broken, None
        return broken is not None and bool(broken)


_QR_METHODS = {"householder": _HouseholderQR, "cholesky": _CholeskyQR}
_QRS = ("auto", "householder", "cholesky")


_FULL_RATE_FLOAT64 = {(6, 0), (7, 0), (8, 0), (9, 0), (10, 0)}
"""CUDA compute capabilities whose float64 matrix products run at half the float32 rate or
better: P100, V100, A100, H100/H200, B200. The others (T4, A10, L4, L40, the RTX cards)
run float64 at 1/32-1/64 of float32, where the float64 CholeskyQR2 would lose to
Householder."""


def _full_rate_float64(device: torch.device) -> bool:
    return torch.cuda.get_device_capability(device) in _FULL_RATE_FLOAT64


def _pick_qr(qr: str, device: torch.device) -> str:
    """``"auto"``: CholeskyQR2 on a CUDA device with fast float64, Householder elsewhere.

    On CPU LAPACK's blocked Householder costs about as much as CholeskyQR2's
    products (see ``python -m lyaplearn.bench``), so the always-stable one is
    kept. On a GPU cuSOLVER's batched Householder is many times slower than
    the products, but :class:`_CholeskyQR` computes in float64, which only
    data-centre GPUs run at speed (:data:`_FULL_RATE_FLOAT64`).
    """
    _check_choice(qr, _QRS, "qr")
    if qr == "auto":
        fast = device.type == "cuda" and _full_rate_float64(device)
        return "cholesky" if fast else "householder"
    return qr


class _NonFinite:
    """Watches, on the device, whether the trajectory or the frame became non-finite.

    On the CPU every check is immediate (there is nothing to overlap). On an
    accelerator the first bad time step of each sequence is kept in a device
    tensor and only read in :meth:`check`, which the loops call when they
    synchronise anyway (a QR that reads its result, the end of a chunk of
    time steps, the end of the run), never once per step.
    """

    EAGER_DEVICES = ("cpu",)

    def __init__(self, B: int, device: torch.device):
        self.eager = device.type in self.EAGER_DEVICES
        self.state_at = torch.full((B,), -1, dtype=torch.long, device=device)
        self.frame_at = torch.full((B,), -1, dtype=torch.long, device=device)
        self.every = 1

    @staticmethod
    def _update(at: torch.Tensor, bad: torch.Tensor, when: torch.Tensor) -> torch.Tensor:
        return torch.where((at < 0) & bad, when, at)

    def states(self, t0: int, ok: torch.Tensor) -> None:
        """``ok`` (T, B): whether the state after step ``t0 + i`` is finite."""
        if self.eager:
            if not bool(ok.all()):
                bad = ~ok
                t = int(bad.any(1).nonzero()[0])
                b = int(bad[t].nonzero()[0])
                self._raise_state(t0 + t, b)
            return
        bad = ~ok
        first = bad.to(torch.uint8).argmax(0)
        self.state_at = self._update(self.state_at, bad.any(0), first + t0)

    def state(self, t: int, s: torch.Tensor) -> None:
        """One state (B, D) after step ``t`` (generic path)."""
        if self.eager:
            if not bool(torch.isfinite(s).all()):
                b, i = torch.nonzero(~torch.isfinite(s))[0].tolist()
                self._raise_state(t, b, i, s[b, i].item())
            return
        bad = ~torch.isfinite(s).all(-1)
        self.state_at = self._update(self.state_at, bad, torch.full_like(self.state_at, t))

    def logs(self, t: int, logs: torch.Tensor) -> None:
        """``log|r_ii|`` (B, k) of the QR after step ``t``: NaN or +inf is bad, -inf is not."""
        if self.eager:
            v = float(logs.sum())   # NaN or +inf iff some entry is NaN or +inf
            if v != v or v == math.inf:
                sb = logs.sum(-1)
                b = int(torch.nonzero(torch.isnan(sb) | (sb == math.inf))[0])
                self._raise_frame(t, b)
            return
        sb = logs.sum(-1)
        bad = torch.isnan(sb) | (sb == math.inf)
        self.frame_at = self._update(self.frame_at, bad, torch.full_like(self.frame_at, t))

    def check(self) -> None:
        """Read the device flags (one synchronisation) and raise if anything went wrong."""
        if self.eager:
            return
        sa, fa = self.state_at.tolist(), self.frame_at.tolist()
        st = [(t, b) for b, t in enumerate(sa) if t >= 0]
        fr = [(t, b) for b, t in enumerate(fa) if t >= 0]
        if st and (not fr or min(st)[0] <= min(fr)[0]):
            self._raise_state(*min(st))
        if fr:
            self._raise_frame(*min(fr))

    @staticmethod
    def _raise_state(t: int, b: int, i: int | None = None, val: float | None = None):
        where = "" if i is None else f": state[{b}, {i}] = {val}"
        raise ValueError(
            f"the trajectory became non-finite at time step {t} of sequence {b}{where}. The "
            "inputs, initial state and parameters were finite, so the state map overflowed "
            "(weights too large for this dtype, or an unbounded map such as a ReLU network "
            "with a growing state); try float64 or smaller inputs/weights")

    def _raise_frame(self, t: int, b: int):
        raise ValueError(
            f"the tangent frame became non-finite for sequence {b} in the interval ending at "
            f"time step {t}, although the trajectory is finite: the stretching between two "
            f"reorthonormalisations overflowed (reortho_every={self.every}; use a smaller "
            "reortho_every or float64) or the Jacobian is not finite there")


class _Benettin:
    """Bookkeeping of the QR method shared by the analytic and generic paths.

    Counts steps since the last QR, re-orthonormalises every ``every`` steps
    with the QR object ``qr`` (one small object per QR method), and, while
    recording, sums ``log|diag R|`` and keeps the running estimate for the
    convergence history. ``steps`` is the number of recorded steps. ``t`` is
    the time step (index into the inputs) of the last tangent step, so that
    a non-finite frame is reported with its time step (see :class:`_NonFinite`).
    """

    def __init__(self, B: int, k: int, every: int, history: bool, dtype, device,
                 qr: str = "householder", t0: int = 0):
        device = torch.device(device)
        self.gamma = torch.zeros(B, k, dtype=dtype, device=device)
        self.every = every
        self.since = 0
        self.steps = 0
        self.t = t0 - 1
        self.hist: list[torch.Tensor] | None = [] if history else None
        self.hist_steps: list[int] = []
        self.qr = _QR_METHODS[_pick_qr(qr, device)]()
        self.optimistic = True   # see chunk()
        self.watch = _NonFinite(B, device)
        self.watch.every = every

    def _qr(self, QT: torch.Tensor, record: bool) -> torch.Tensor:
        QT, logs = self.qr(QT)
        self.watch.logs(self.t, logs)
        if self.qr.syncs and not self.qr.defer:   # the QR read its result on the host anyway
            self.watch.check()
        self.since = 0
        if record:
            self.gamma += logs
            if self.hist is not None:
                self.hist.append(self.gamma / self.steps)
                self.hist_steps.append(self.steps)
        return QT

    def step(self, QT: torch.Tensor, recording: bool) -> torch.Tensor:
        """Count one tangent step of the frame ``QT``; QR when the interval is full."""
        self.since += 1
        self.t += 1
        self.steps += recording
        return self._qr(QT, recording) if self.since == self.every else QT

    def end_warmup(self, QT: torch.Tensor) -> torch.Tensor:
        """Close the frame warm-up with a QR, so recording starts orthonormal."""
        return self._qr(QT, False) if self.since else QT

    def chunk(self, QT: torch.Tensor, advance: Callable[[torch.Tensor], torch.Tensor]
              ) -> torch.Tensor:
        """Run ``advance(QT) -> QT``, the tangent steps of one chunk of time, optimistically.

        A QR that can defer its breakdown check (CholeskyQR2) runs the whole
        chunk without reading anything on the host; the breakdown flag is read
        once at the end. If some frame broke down, the bookkeeping is rolled
        back to the start of the chunk and the chunk is redone with the
        checked QR and its per-sequence Householder fallback, so the result is
        exactly what the checked QR gives. After one such redo the run is
        evidently ill-conditioned and every later chunk is checked at once.
        ``advance`` must not modify its argument in place: the rollback
        restarts from it.
        """
        if not (self.optimistic and self.qr.can_defer):
            return advance(QT)
        saved = (QT, self.gamma.clone(), self.steps, self.since, self.t,
                 len(self.hist_steps), self.watch.frame_at.clone())
        self.qr.defer = True
        try:
            QT = advance(QT)
        finally:
            self.qr.defer = False
        if not self.qr.take_broken():
            return QT
        QT, gamma, self.steps, self.since, self.t, n, self.watch.frame_at = saved
        self.gamma.copy_(gamma)
        del self.hist_steps[n:]
        if self.hist is not None:
            del self.hist[n:]
        self.optimistic = False
        return advance(QT)

    def finish(self, QT: torch.Tensor) -> torch.Tensor:
        """Count the last, possibly partial, interval, and check for non-finite values."""
        QT = self._qr(QT, True) if self.since else QT
        self.watch.check()
        return QT


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="Lyapunov spectrum", unit="step")


def _finish(book: _Benettin, units: str, convention: str, sort: bool, t0: float) -> SpectrumResult:
    gamma, steps, hist, hist_steps = book.gamma, book.steps, book.hist, book.hist_steps
    lam = gamma / steps
    if sort:
        lam = torch.sort(lam, dim=-1, descending=True).values
    f = 1.0 / LN2 if units == "bits" else 1.0
    history = history_steps = None
    if hist is not None:
        history = torch.stack(hist) * f if hist else None
        history_steps = torch.tensor(hist_steps)
    return SpectrumResult(lam * f, units, steps, convention, history, history_steps,
                          time.perf_counter() - t0, book.qr.name, book.qr.fallbacks)


# ---------------------------------------------------------------------------
# Public: spectra of nn.RNN / GRU / LSTM
# ---------------------------------------------------------------------------

def lyapunov_spectrum(rnn: nn.Module, inputs: Any, *, k: int | None = None, warmup: int = 0,
                      frame_warmup: int = 0, reortho_every: int = 1, state: str = "full",
                      h0: Any = None, units: str = "nats", dtype: torch.dtype | None = None,
                      history: bool = False, frame0: torch.Tensor | None = None, seed: int = 0,
                      sort: bool = True, method: str = "auto", chunk: int = 128,
                      qr: str = "auto", progress: bool = False) -> SpectrumResult:
    """Lyapunov spectra of a recurrent module driven by a batch of input sequences.

    Parameters
    ----------
    rnn
        ``torch.nn.RNN`` (tanh or relu), ``GRU`` or ``LSTM``: any ``num_layers``,
        bias on or off, ``batch_first`` either way. Not bidirectional, no ``proj_size``.
        The module and its parameters are never modified.
    inputs
        As the module takes them: (T, B, input_size), or (B, T, input_size) if
        ``batch_first``; a 2-D (T, input_size) tensor is one sequence.
    k
        Number of exponents (default: all ``D``; see :func:`state_dim`).
    warmup
        Steps that evolve only the state (no frame, no QR) before anything else.
    frame_warmup
        Then steps that evolve the frame (with its QRs) without recording.
        The exponents are averaged over the remaining ``T - warmup - frame_warmup`` steps.
    reortho_every
        QR every this many steps; a final QR closes the last, possibly partial, interval.
    state
        ``"full"`` (true dynamical system, default) or ``"hidden"`` (the paper's
        ``dh_t/dh_{t-1}`` with the LSTM cell state held fixed).
    h0
        Initial state as the module takes it (default zeros).
    units
        ``"nats"`` (default) or ``"bits"`` per step.
    dtype
        Compute in this dtype, e.g. ``torch.float64`` (default: the module's).
        Parameters are cast as copies; the module is untouched.
    history
        Record the running estimate after every QR (``result.history``).
    frame0
        Initial orthonormal frame (D, k) or (B, D, k); default: the identity
        for the full spectrum, a random orthonormal frame drawn with ``seed``
        for a partial one.
    seed
        Seed of the default initial frame.
    sort
        Sort each spectrum in descending order.
    method
        ``"direct"`` applies the Jacobian to the frame through the stacked
        weight blocks and scales rows afterwards (cost ~ gates*hidden^2*k per
        layer, best for small ``k``); ``"formed"`` first builds the dense
        Jacobian blocks by row-scaling the weights (an O(gates*hidden^2) build,
        then ~ hidden^2*k for a GRU or hidden-only LSTM and 2*hidden^2*k for a
        full-state LSTM, half of a dense (2H x 2H)(2H x k) product; GRU and LSTM
        only); ``"auto"`` picks ``"formed"`` for those when k >= 32.
    chunk
        Time steps whose trajectory is computed ahead of the frame updates.
    qr
        How the frame is re-orthonormalised: ``"householder"`` (LAPACK/cuSOLVER,
        stable for any frame), ``"cholesky"`` (CholeskyQR2 from matrix
        products, computed in float64 even for a float32 model; every frame
        where it breaks down or loses orthogonality is redone with
        Householder, so the exponents are as accurate as Householder's) or
        ``"auto"`` (``"cholesky"`` on a CUDA GPU with fast float64, such as
        an A100 or H100, where it is many times faster, ``"householder"``
        elsewhere). ``result.qr_fallbacks``
        counts the redone frames. CholeskyQR2 reads its breakdown flag on the
        host once per chunk, not once per QR: a chunk runs optimistically and,
        if a frame broke down in it, is rolled back and redone with the
        per-frame check, giving exactly the checked result.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    SpectrumResult
        ``.exponents`` (B, k) and the batch statistics.

    Raises
    ------
    ValueError
        For invalid arguments; for a NaN or infinity in ``inputs``, ``h0``,
        ``frame0`` or a parameter of ``rnn`` (naming it and the first bad
        index); and when the trajectory or the tangent frame becomes
        non-finite on the way (naming the time step and the sequence), at
        the latest at the next reorthonormalisation on the CPU and at the end
        of the chunk on an accelerator, without a host synchronisation per step.

    Examples
    --------
    With no input and no bias the zero state is a fixed point of a tanh RNN,
    where the Jacobian is ``W_hh`` itself (``tanh'(0) = 1``). For a diagonal
    ``W_hh`` the exponents are the logarithms of its entries' moduli:

    >>> import numpy as np, torch
    >>> from lyaplearn.recurrent import lyapunov_spectrum
    >>> rnn = torch.nn.RNN(input_size=1, hidden_size=2, dtype=torch.float64)
    >>> with torch.no_grad():
    ...     for p in rnn.parameters():
    ...         _ = p.zero_()
    ...     _ = rnn.weight_hh_l0.copy_(torch.diag(torch.tensor([0.5, -0.25])))
    >>> res = lyapunov_spectrum(rnn, torch.zeros(20, 1, 1, dtype=torch.float64))
    >>> np.round(res.numpy(), 6).tolist()             # ln 0.5, ln 0.25
    [[-0.693147, -1.386294]]
    """
    t0 = time.perf_counter()
    eng = _Engine(rnn, state, dtype)
    _check_choice(units, _UNITS, "units")
    _check_choice(method, _METHODS, "method")
    X, unbatched = _inputs_tbi(eng, inputs)
    T, B = X.shape[0], X.shape[1]
    k = _check_k(k, eng.D)
    _check_steps(warmup, frame_warmup, reortho_every, T)
    can_form = eng.formable
    if method == "formed" and not can_form:
        raise ValueError(f"method='formed' needs a GRU or an LSTM, got {eng.arch}")
    formed = method == "formed" or (method == "auto" and can_form and k >= 32)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    qr = _pick_qr(qr, eng.device)
    per_build = eng.formed_steps(B, _formed_budget(eng.device)) if formed else 1
    with torch.no_grad():
        st = _state_list(eng, h0, B, unbatched)
        book = _Benettin(B, k, reortho_every, history, eng.dtype, eng.device, qr, t0=warmup)
        for t in range(0, warmup, chunk):
            t1 = min(warmup, t + chunk)
            st, _, ok = eng.run(X[t:t1], st, need_coef=False, finite=True)
            book.watch.states(t, ok)
        book.watch.check()
        QT = _initial_frame(frame0, B, eng.D, k, seed, eng.dtype, eng.device)
        bar = _progress(T - warmup, progress)
        t = warmup
        while t < T:
            t1 = min(T, t + chunk)
            if t < warmup + frame_warmup:
                t1 = min(t1, warmup + frame_warmup)
            recording = t >= warmup + frame_warmup
            st, co, ok = eng.run(X[t:t1], st, finite=True)
            book.watch.states(t, ok)

            def advance(QT, co=co, n=t1 - t, recording=recording):
                if formed:     # blocks of per_build steps built at once (see _FORMED_BUDGET)
                    for s0 in range(0, n, per_build):
                        for mats in eng.formed_span(co, s0, min(n, s0 + per_build)):
                            QT = book.step(eng.tangent_formed(mats, QT), recording)
                else:
                    for s in range(n):
                        QT = book.step(eng.tangent(co, s, QT), recording)
                return QT if recording else book.end_warmup(QT)

            QT = book.chunk(QT, advance)   # CholeskyQR2: one host read per chunk
            book.watch.check()             # once per chunk, not per step
            if bar is not None:
                bar.update(t1 - t)
            t = t1
        QT = book.finish(QT)
        if bar is not None:
            bar.close()
    return _finish(book, units, state, sort, t0)


# ---------------------------------------------------------------------------
# Public: any cell, via torch.func
# ---------------------------------------------------------------------------

def lyapunov_spectrum_step(step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                           state0: torch.Tensor, inputs: torch.Tensor, *, k: int | None = None,
                           warmup: int = 0, frame_warmup: int = 0, reortho_every: int = 1,
                           units: str = "nats", history: bool = False,
                           frame0: torch.Tensor | None = None, seed: int = 0, sort: bool = True,
                           qr: str = "auto", progress: bool = False) -> SpectrumResult:
    """Lyapunov spectra of any recurrent map ``state' = step(state, x)``.

    The frame is pushed forward with forward-mode derivatives
    (``torch.func.jvp`` vectorised over the frame's columns with ``vmap``),
    so no Jacobian matrix is built and a partial spectrum costs ``k`` JVPs.

    Parameters
    ----------
    step
        ``step(state, x) -> state`` on a batch: ``state`` (B, D), ``x`` (B, ...);
        row ``b`` of the output may depend only on row ``b`` of the inputs.
        Must be written in torch operations (no in-place updates of inputs).
    state0
        Initial state (B, D).
    inputs
        Time-major inputs (T, B, ...).
    k, warmup, frame_warmup, reortho_every, units, history, frame0, seed, sort, qr, progress
        As in :func:`lyapunov_spectrum`.

    Raises
    ------
    ValueError
        For a NaN or infinity in ``state0``, ``inputs`` or ``frame0`` (naming
        it and the first bad index), and when ``step`` returns a non-finite
        state or the frame overflows, with the time step and the sequence:
        at once on the CPU; on an accelerator when a QR reads its result or
        every 128 steps, never once per step.
    """
    from torch.func import jvp, vmap

    t0 = time.perf_counter()
    if not callable(step):
        raise ValueError(f"step must be callable step(state, x) -> state, got {type(step).__name__}")
    if not isinstance(state0, torch.Tensor) or state0.ndim != 2:
        shape = tuple(state0.shape) if isinstance(state0, torch.Tensor) else type(state0).__name__
        raise ValueError(f"state0 must be a tensor (batch, state_dim), got {shape}")
    B, D = state0.shape
    if not isinstance(inputs, torch.Tensor) or inputs.ndim < 2 or inputs.shape[1] != B:
        shape = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs).__name__
        raise ValueError(f"inputs must be a time-major tensor (T, batch={B}, ...), got {shape}")
    _check_choice(units, _UNITS, "units")
    T = inputs.shape[0]
    k = _check_k(k, D)
    _check_steps(warmup, frame_warmup, reortho_every, T)
    dtype, device = state0.dtype, state0.device
    _require_finite([("state0", state0.detach()), ("inputs", inputs.detach())])
    qr = _pick_qr(qr, device)
    s = state0.detach()
    book = _Benettin(B, k, reortho_every, history, dtype, device, qr, t0=warmup)
    every_check = 128
    with torch.no_grad():
        for t in range(warmup):
            s = step(s, inputs[t])
            book.watch.state(t, s)
            if (t + 1) % every_check == 0:
                book.watch.check()
        book.watch.check()
        QT = _initial_frame(frame0, B, D, k, seed, dtype, device)
    bar = _progress(T - warmup, progress)
    for t in range(warmup, T):
        x = inputs[t]

        def push(v, s=s, x=x):
            return jvp(lambda z: step(z, x), (s,), (v,))

        s_new, V = vmap(push, in_dims=1, out_dims=(None, 1), randomness="error")(QT)
        s, QT = s_new.detach(), V.detach()
        with torch.no_grad():
            book.watch.state(t, s)
            QT = book.step(QT, recording=t >= warmup + frame_warmup)
            if t == warmup + frame_warmup - 1:
                QT = book.end_warmup(QT)
            if (t + 1 - warmup) % every_check == 0:
                book.watch.check()
        if bar is not None:
            bar.update(1)
    with torch.no_grad():
        QT = book.finish(QT)
    if bar is not None:
        bar.close()
    return _finish(book, units, "full", sort, t0)


def make_step(rnn: nn.Module, *, dtype: torch.dtype | None = None) -> Callable:
    """The full-state map of a module as ``step(state (B, D), x (B, I)) -> state``.

    Written in plain torch operations (usable with ``torch.func``), with
    parameters cast as copies; the state is ordered as in :func:`flatten_state`.
    """
    eng = _Engine(rnn, "full", dtype)
    w = eng.blocks * eng.H

    def step(state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        parts = []
        inp = x
        for l, lay in enumerate(eng.layers):
            new, inp = lay.step(state[..., l * w:(l + 1) * w], inp)
            parts += new
        return torch.cat(parts, -1)

    return step


# ---------------------------------------------------------------------------
# Initialisation and training monitor
# ---------------------------------------------------------------------------

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


class _Clock:
    """Wall time between marks: ``perf_counter`` on the CPU, CUDA events on a GPU.

    CUDA kernels run asynchronously, so host time would count launches, not
    work; events are recorded in the stream without a host synchronisation
    and read only when a total is asked for.
    """

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.pending: list[tuple[str, Any, Any]] = []
        self.total = {"train": 0.0, "spectrum": 0.0}

    def mark(self) -> Any:
        if self.cuda:
            ev = torch.cuda.Event(enable_timing=True)
            ev.record()
            return ev
        return time.perf_counter()

    def add(self, what: str, start: Any, end: Any) -> None:
        if self.cuda:
            self.pending.append((what, start, end))
        else:
            self.total[what] += end - start

    def read(self, what: str) -> float:
        if self.pending:
            self.pending[-1][2].synchronize()
            for w, s, e in self.pending:
                self.total[w] += s.elapsed_time(e) / 1000.0
            self.pending = []
        return self.total[what]


class SpectrumMonitor:
    """Record Lyapunov spectra while a model trains, and what that costs.

    Call :meth:`step` once per epoch or optimizer step; every ``every``-th call
    computes the spectrum of ``rnn`` on the fixed probe ``inputs`` (with
    ``spectrum_kwargs`` passed to :func:`lyapunov_spectrum`). The wall time
    between calls counts as training time.

    The monitor never synchronises the host with a GPU in the calls that
    compute nothing: times are CUDA events there (read when
    :attr:`spectrum_seconds`, :attr:`training_seconds` or :attr:`overhead` is
    asked for) and the recorded exponents stay on the model's device until
    they are read. A call that computes a spectrum synchronises a few times
    (the argument checks, then once per chunk of time steps: the non-finite
    checks and, with ``qr="cholesky"``, whether a frame broke down and the
    chunk must be redone), never once per step.

    Attributes
    ----------
    records
        List of ``(call_index, SpectrumResult)``.
    """

    def __init__(self, rnn: nn.Module, inputs: Any, *, every: int = 1, **spectrum_kwargs: Any):
        _arch(rnn)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.rnn = rnn
        self.inputs = inputs
        self.every = every
        self.kwargs = spectrum_kwargs
        self.records: list[tuple[int, SpectrumResult]] = []
        self.calls = 0
        self._clock = _Clock(rnn.weight_hh_l0.device)
        self._last = self._clock.mark()

    @property
    def spectrum_seconds(self) -> float:
        """Accumulated time of the spectrum computations, in seconds."""
        return self._clock.read("spectrum")

    @property
    def training_seconds(self) -> float:
        """Accumulated time between calls (training), in seconds."""
        return self._clock.read("train")

    def start(self) -> None:
        """Restart the training clock (call right before training begins)."""
        self._last = self._clock.mark()

    def step(self) -> SpectrumResult | None:
        """Count one unit of training; compute the spectrum if it is due."""
        now = self._clock.mark()
        self._clock.add("train", self._last, now)
        res = None
        if self.calls % self.every == 0:
            res = lyapunov_spectrum(self.rnn, self.inputs, **self.kwargs)
            self.records.append((self.calls, res))
        self.calls += 1
        end = self._clock.mark() if res is not None else now
        if res is not None:
            self._clock.add("spectrum", now, end)
        self._last = end
        return res

    @property
    def overhead(self) -> float:
        """Spectrum time as a fraction of training time (the paper reports about 0.04)."""
        train = self.training_seconds
        return self.spectrum_seconds / train if train else math.inf

    def exponents(self) -> np.ndarray:
        """Batch-mean spectra of all records, array (n_records, k)."""
        return np.stack([r.mean for _, r in self.records])


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def _unit_label(units: str) -> str:
    return style.NATS_PER_STEP if units == "nats" else "bits per step"


@style.styled
def plot_spectra(results: dict, *, title: str | None = None, figsize=(6.0, 3.8)):
    """Batch-mean spectra (with standard-error bands) of several results, by index."""
    if not results:
        raise ValueError("results must map at least one label to a SpectrumResult")
    fig, ax = style.figure(figsize=figsize)
    units = "nats"
    for label, res in results.items():
        m, se = res.mean, res.stderr
        idx = np.arange(1, m.size + 1)
        ax.plot(idx, m, label=str(label))
        if np.isfinite(se).all():
            ax.fill_between(idx, m - se, m + se, alpha=0.25)
        units = res.units
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("exponent index $i$")
    ax.set_ylabel(f"$\\lambda_i$ ({_unit_label(units)})")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def draw_spectrum(ax, result: SpectrumResult, *, label: str | None = None) -> None:
    """Draw the batch-mean spectrum of ``result`` (with its standard error) into ``ax``."""
    m, se = result.mean, result.stderr
    idx = np.arange(1, m.size + 1)
    ax.plot(idx, m, ".-", ms=3, label=label)
    if np.isfinite(se).all():
        ax.fill_between(idx, m - se, m + se, alpha=0.25)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("exponent index $i$")
    ax.set_ylabel(f"$\\lambda_i$ ({_unit_label(result.units)})")


@style.styled
def plot_convergence(result: SpectrumResult, *, n_show: int = 8, figsize=(6.0, 3.6)):
    """Running estimates of the leading exponents (batch mean) against time."""
    if result.history is None:
        raise ValueError("result must be computed with history=True")
    fig, ax = style.figure(figsize=figsize)
    hist = result.history.detach().to("cpu", torch.float64).mean(1).numpy()
    order = np.argsort(-hist[-1])[:n_show]
    steps = result.history_steps.numpy()
    for j in order:
        ax.plot(steps, hist[:, j], lw=1.2)
    ax.set_xlabel("time step $T$ (after warm-up)")
    ax.set_ylabel(f"running estimate ({_unit_label(result.units)})")
    ax.set_title(f"leading {len(order)} exponents, batch mean")
    return fig


@style.styled
def plot_full_vs_hidden(full: SpectrumResult, hidden: SpectrumResult, *, figsize=(9.0, 3.6)):
    """Full-state (h, c) spectrum next to the hidden-only (c fixed) one."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    for ax, res, name in ((axes[0], full, "full state $(h, c)$"),
                          (axes[1], hidden, "hidden only ($c$ held fixed)")):
        m = res.mean
        idx = np.arange(1, m.size + 1)
        ax.plot(idx, m, ".-", ms=3)
        ax.axhline(0.0, color="0.4", lw=0.8)
        ax.set_xlabel("exponent index $i$")
        ax.set_ylabel(f"$\\lambda_i$ ({_unit_label(res.units)})")
        ax.set_title(f"{name}: $\\lambda_1$ = {m[0]:+.3f}")
    return fig


@style.styled
def plot_init_sweep(results: dict, *, title: str | None = None, figsize=(9.0, 3.6)):
    """Spectra against normalised index for several init scales ``p`` (left) and lambda_1(p)."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    if title:
        fig.suptitle(title)
    ps, lmax, se = [], [], []
    for p, res in results.items():
        m = res.mean
        x = np.arange(1, m.size + 1) / m.size
        axes[0].plot(x, m, label=f"p = {p:g}")
        ps.append(float(p))
        lmax.append(m[0])
        se.append(res.stderr[0])
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("normalised index $i / D$")
    axes[0].set_ylabel(f"$\\lambda_i$ ({style.NATS_PER_STEP})")
    axes[0].legend()
    axes[1].errorbar(ps, lmax, yerr=np.nan_to_num(se), marker="o")
    axes[1].axhline(0.0, color="0.4", lw=0.8)
    axes[1].set_xlabel("initialisation scale $p$ (weights ~ U(-p, p))")
    axes[1].set_ylabel(f"$\\lambda_1$ ({style.NATS_PER_STEP})")
    return fig
