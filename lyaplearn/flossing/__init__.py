"""Gradient flossing: training the Lyapunov spectrum (chapter 10).

Chapters 5-7 measure the spectrum of a recurrent network and chapter 8 compares remedies
that act on it indirectly. Gradient flossing (Engelken, 2023) acts on it directly: it
differentiates the exponents computed by the QR algorithm with respect to the weights and
pushes the ``k`` largest towards zero by gradient descent on
:math:`\\sum_{i=1}^k \\lambda_i^2`, before training and during it, so that the product of
Jacobians through which gradients flow back in time neither explodes nor vanishes along
``k`` directions.

What it offers
--------------
:func:`differentiable_spectrum`
    the exponents of an ``nn.RNN``/``GRU``/``LSTM`` as a tensor with an autograd graph to
    its parameters; same conventions and numbers as
    :func:`lyaplearn.recurrent.lyapunov_spectrum`.
:func:`flossing_loss`
    the loss term, to add to a task loss or to minimise alone.
:func:`floss`
    flossing before training (a pre-training phase), with its history.
:class:`Flosser`
    flossing during training at a chosen interval, from a plain training loop.
:class:`FlossingCallback`
    the same inside PyTorch Lightning (needs ``lightning``; imported on first use).
:func:`step_costs`, :func:`graph_bytes`
    a flossing step's time against a training step's, side by side, and the memory its
    graph holds; ``python -m lyaplearn.flossing --bench`` prints a table.

When the gradient is ill-defined
--------------------------------
* Rank deficiency (dead ReLU units, ``k`` above the rank of the product of Jacobians):
  :class:`RankDeficientError`, never a NaN gradient.
* Repeated exponents: :class:`IllDefinedGradientWarning` (the gradient is finite but
  depends on the initial frame, unless the function is symmetric in the tied exponents).
* Chaotic trajectories followed far back: :class:`ExplodingGradientWarning` when the
  gradient is amplified by more than ``AMPLIFICATION_LIMIT``, and a
  ``FloatingPointError`` from ``backward`` if it overflows; ``truncate=`` bounds it.

Which file holds what
---------------------
=================  ==============================================================
file               what it holds
=================  ==============================================================
``_cells.py``      one differentiable step and tangent map per architecture
``_checks.py``     argument checks, input and state formats, :func:`find_rnn`
``_spectrum.py``   :func:`differentiable_spectrum` and the ill-defined cases
``_floss.py``      :func:`flossing_loss`, :func:`floss`, :class:`Flosser`
``_lightning.py``  :class:`FlossingCallback`
``_cost.py``       :func:`step_costs`, :func:`graph_bytes`, the ``--bench`` table
=================  ==============================================================

References
----------
.. [1] Engelken, R. (2023). Gradient flossing: improving gradient descent through dynamic
   control of Jacobians. NeurIPS 36. arXiv:2312.17306.

Examples
--------
A one-unit tanh RNN with weight ``a`` and no input sits at 0, where its exponent is
``ln|a|`` and the exponent's derivative ``1/a``:

>>> import math, torch
>>> from lyaplearn.flossing import differentiable_spectrum
>>> rnn = torch.nn.RNN(1, 1, bias=False, dtype=torch.float64)
>>> with torch.no_grad():
...     _ = rnn.weight_hh_l0.fill_(-2.0)
>>> lam = differentiable_spectrum(rnn, torch.zeros(8, 1, 1, dtype=torch.float64))
>>> lam.sum().backward()
>>> math.isclose(lam.item(), math.log(2.0)), math.isclose(rnn.weight_hh_l0.grad.item(), -0.5)
(True, True)
"""

from __future__ import annotations

from ._checks import find_rnn
from ._cost import StepCosts, graph_bytes, step_costs
from ._floss import Flosser, FlossHistory, floss, flossing_loss
from ._spectrum import (
    AMPLIFICATION_LIMIT,
    ExplodingGradientWarning,
    IllDefinedGradientWarning,
    RankDeficientError,
    differentiable_spectrum,
)

__all__ = [
    "differentiable_spectrum",
    "flossing_loss",
    "floss",
    "Flosser",
    "FlossHistory",
    "FlossingCallback",
    "find_rnn",
    "step_costs",
    "graph_bytes",
    "StepCosts",
    "RankDeficientError",
    "IllDefinedGradientWarning",
    "ExplodingGradientWarning",
    "AMPLIFICATION_LIMIT",
]


def __dir__() -> list[str]:       # so that autodoc and tab completion see FlossingCallback
    return sorted(set(globals()) | {"FlossingCallback"})


def __getattr__(name: str):
    if name == "FlossingCallback":   # imports Lightning only when asked for
        from ._lightning import FlossingCallback
        return FlossingCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
