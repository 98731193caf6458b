"""The engine: a module's layers cast to one dtype and device, stacked (chapter 6).

It evolves the trajectory and applies the tangent map layer by layer, either directly through
the weight blocks or through Jacobian blocks formed by row scaling.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._cells import _LAYERS
from ._checks import _arch, _check_choice, _check_dtype, _require_finite

_STATES = ("full", "hidden")
"""Which state's spectrum: ``"full"`` (an LSTM's ``(h, c)``) or ``"hidden"`` (``h``, ``c`` held)."""
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


class _Engine:
    """Parameters of a module, cast (as copies) to one dtype/device, as one object per layer."""

    def __init__(self, rnn: nn.Module, state: str, dtype: torch.dtype | None,
                 device: Any = None):
        self.arch = _arch(rnn)
        _check_choice(state, _STATES, "state")
        self.state = state
        p0 = rnn.weight_hh_l0
        self.dtype = _check_dtype(dtype, p0.dtype)
        # checked as given, and after the cast: a float64 1e300 that becomes inf in float32
        # is reported with its value (before any copy is made)
        _require_finite([(f"rnn.{n}", prm.detach()) for n, prm in rnn.named_parameters()],
                        dtype=self.dtype)
        self.device = torch.device(device) if device is not None else p0.device
        self.L = rnn.num_layers
        self.H = rnn.hidden_size
        self.I = rnn.input_size
        self.batch_first = rnn.batch_first
        cast = dict(dtype=self.dtype, device=self.device)
        self.layers = [_LAYERS[self.arch](rnn, l, state, cast) for l in range(self.L)]
        first = self.layers[0]
        self.lstm = first.has_cell
        self.formable = first.formable
        self.blocks = first.blocks            # state blocks per layer: LSTM full has (h, c)
        self.D = self.blocks * self.L * self.H

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

    def tangent_transpose(self, co: list, t: int, QT: torch.Tensor) -> torch.Tensor:
        """Apply the *transposed* step-t Jacobian to the frame: rows of ``(J^T Q)^T = Q^T J``.

        The tangent map gives ``J`` applied to vectors; its transpose is read off
        the dense Jacobian, built by applying the map to the identity (a
        full-spectrum step, whatever ``k``). Used for ``frame="transpose"``.
        """
        B, k, D = QT.shape
        eye = torch.eye(D, dtype=QT.dtype, device=QT.device).expand(B, D, D).contiguous()
        JT = self.tangent(co, t, eye)              # rows (J e_j)^T: JT[b] = J[b]^T
        return torch.bmm(QT, JT.transpose(1, 2))

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
