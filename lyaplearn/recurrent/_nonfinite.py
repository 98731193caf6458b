"""Watching a run for overflow without a host synchronisation per step (chapter 6)."""

from __future__ import annotations

import math

import torch


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
