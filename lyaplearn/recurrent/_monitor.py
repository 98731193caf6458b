"""Recording spectra while a model trains, and what that costs (chapters 6 and 7)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from ._checks import _arch, _check_int
from ._result import SpectrumResult
from ._spectrum import lyapunov_spectrum


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
        every = _check_int(every, "every", 1)
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
