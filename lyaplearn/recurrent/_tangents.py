"""The tangent maps that the Benettin loop pushes its frame with (chapter 6).

Each object holds a state and its inputs and offers what :func:`._benettin._benettin`
needs: ``warm(t0, t1, watch)`` evolves the state alone, ``span(t0, t1, watch)`` evolves
it and returns ``push(i, QT)``, the tangent map of one step applied to the frame. The loop
never asks which one it has.

:class:`_ModuleTangent`
    an ``nn.RNN``/``GRU``/``LSTM`` through :class:`._engine._Engine`: the trajectory of a
    chunk is computed ahead in one pass per layer, then its Jacobians are applied to the
    frame ``"direct"`` (weight blocks and row scalings), through ``"formed"`` dense blocks,
    or ``"transpose"``\\ d.
:class:`_FunctionTangent`
    any ``step(state, x) -> state`` through ``torch.func``: ``jvp`` pushes the frame
    forward, ``vjp`` pulls it back (``frame="transpose"``), one step at a time.
"""

from __future__ import annotations

from typing import Callable

import torch

from ._engine import _Engine, _formed_budget

_WATCH_EVERY = 128
"""Steps between two reads of the non-finite flags when a state is evolved one step at a
time (:class:`_FunctionTangent`): never once per step on an accelerator."""


class _ModuleTangent:
    """The state map of a module, its Jacobians applied ``how``: direct, formed or transpose.

    ``X`` (T, B, I) are the inputs and ``state`` the initial state, both in the engine's
    format (:func:`._states._inputs_tbi`, :func:`._states._state_list`).
    """

    restartable = True          # a span's coefficients are kept: it can be pushed again
    chunked_warmup = True

    def __init__(self, eng: _Engine, X: torch.Tensor, state: list, how: str):
        self.eng, self.X, self.state, self.how = eng, X, state, how
        self.T, self.B, self.D = X.shape[0], X.shape[1], eng.D
        self.dtype, self.device = eng.dtype, eng.device
        # formed blocks of this many steps are built at once (see _FORMED_BUDGET)
        self.per_build = eng.formed_steps(self.B, _formed_budget(eng.device)) \
            if how == "formed" else 1

    def warm(self, t0: int, t1: int, watch) -> None:
        self.state, _, ok = self.eng.run(self.X[t0:t1], self.state, need_coef=False,
                                         finite=True)
        watch.states(t0, ok)

    def span(self, t0: int, t1: int, watch) -> Callable:
        eng = self.eng
        self.state, co, ok = eng.run(self.X[t0:t1], self.state, finite=True)
        watch.states(t0, ok)
        if self.how == "direct":
            return lambda i, QT: eng.tangent(co, i, QT)
        if self.how == "transpose":
            return lambda i, QT: eng.tangent_transpose(co, i, QT)
        n, per, built = t1 - t0, self.per_build, {}

        def push_formed(i: int, QT: torch.Tensor) -> torch.Tensor:
            if i % per == 0:        # the blocks of steps i .. i+per-1, before the first of them
                built["from"], built["mats"] = i, eng.formed_span(co, i, min(n, i + per))
            return eng.tangent_formed(built["mats"][i - built["from"]], QT)

        return push_formed


class _FunctionTangent:
    """A map ``step(state, x) -> state`` on flat states (B, D), differentiated by ``torch.func``.

    ``inputs`` (T, B, ...) are time-major. ``transpose``: pull the frame back with
    ``vjp`` (``Q <- J^T Q``) instead of pushing it forward with ``jvp``. The state is
    evolved inside ``push``, so a span cannot be pushed twice (``restartable = False``),
    and the frame warm-up is one chunk.
    """

    restartable = False
    chunked_warmup = False

    def __init__(self, step: Callable, h0: torch.Tensor, inputs: torch.Tensor, transpose: bool):
        self.step, self.s, self.inputs, self.transpose = step, h0.detach(), inputs, transpose
        self.T, (self.B, self.D) = inputs.shape[0], h0.shape
        self.dtype, self.device = h0.dtype, h0.device
        self.since_check = 0

    def _watch(self, t: int, watch) -> None:
        watch.state(t, self.s)
        self.since_check += 1
        if self.since_check == _WATCH_EVERY:
            watch.check()
            self.since_check = 0

    def warm(self, t0: int, t1: int, watch) -> None:
        for t in range(t0, t1):
            self.s = self.step(self.s, self.inputs[t])
            self._watch(t, watch)

    def span(self, t0: int, t1: int, watch) -> Callable:
        from torch.func import jvp, vjp, vmap
        step = self.step

        def push(i: int, QT: torch.Tensor) -> torch.Tensor:
            t = t0 + i
            x, s = self.inputs[t], self.s
            with torch.enable_grad():       # as the step function would run outside the loop
                if not self.transpose:
                    def one(v):
                        return jvp(lambda z: step(z, x), (s,), (v,))
                    s_new, V = vmap(one, in_dims=1, out_dims=(None, 1),
                                    randomness="error")(QT)
                else:
                    s_new, pull = vjp(lambda z: step(z, x), s)
                    V = vmap(lambda v: pull(v)[0], in_dims=1, out_dims=1,
                             randomness="error")(QT)
            self.s = s_new.detach()
            self._watch(t, watch)
            return V.detach()

        return push
