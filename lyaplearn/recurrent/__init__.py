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
layer. Exponents are natural-log rates, nats per step (``units="bits"`` for
log2).

Two frame conventions
---------------------
By default the frame is updated as :math:`Q \\leftarrow J_t Q`, so the
exponents are the growth rates of the forward product
:math:`J_T \\cdots J_1`: those of the network's state map, the ones that
describe how perturbations of the state grow (Vogt et al., 2022, Algorithms
1 and 2, write the update this way). The authors' public code instead
updates :math:`Q \\leftarrow J_t^\\top Q` and reports log2 (its
``lyapunov.py`` multiplies by ``J.transpose(1, 2)``), which gives the growth
rates of :math:`(J_1 \\cdots J_T)^\\top`, i.e. of the product in the
*reverse* order. Their sums agree (both are the mean of
:math:`\\log|\\det J_t|`). The exponents agree too when the sequence of
Jacobians has the same statistics read backwards in time: for constant
Jacobians, or i.i.d. random ones, whose order does not matter in
distribution. That is sufficient, not necessary, but a recurrent network's
Jacobians need not have it: :math:`J_t` depends on the state, so even i.i.d.
*inputs* can leave a gap that does not close as :math:`T` grows (chapter 6
measures one for a random tanh RNN driven by noise). For a periodic
input of period 3 with Jacobians :math:`J_a, J_b, J_c` the forward exponents
are :math:`\\tfrac13 \\log|\\mathrm{eig}(J_c J_b J_a)|` and the transposed
ones :math:`\\tfrac13 \\log|\\mathrm{eig}(J_a J_b J_c)|`, which can differ by
nats per step (chapter 6, "Two frame conventions").
``frame="transpose"`` computes the second; :data:`PAPER_CONVENTION` sets it
together with ``state="hidden"`` and ``units="bits"``, the published code's
three conventions, and the result records the choices (``result.frame``,
``result.state``). Report the forward convention unless you compare with
the published numbers.

Reproducing the published code
------------------------------
:data:`PAPER_CONVENTION` alone does not give the published code's numbers: its
loop (``calc_LEs_an`` in ``lyapunov.py`` of the authors' repository) also
starts from the identity frame ``I[:, :k]``, multiplies the warm-up's Jacobians
into it without a QR, then runs over the whole input again, warm-up steps
included, and leaves the steps after its last QR out of the sum but not out of
the divisor. :func:`published_code_spectrum` does the same and returns the
code's exponents up to rounding; its docstring says how, and where rounding
itself decides.

Main entry points
-----------------
:func:`lyapunov_spectrum`
    spectra of an ``nn.RNN``/``GRU``/``LSTM`` driven by a batch of sequences.
:func:`lyapunov_spectrum_step`
    the same loop for any ``step(state, x) -> state`` via ``torch.func``.
:func:`jacobian`
    the analytic one-step Jacobian (B, D, D).
:class:`SpectrumResult`
    what both return: the spectra, the members of chapter 5's
    :class:`~lyaplearn.lyapunov.SpectrumEnsemble`, and how they were computed.
:class:`SpectrumMonitor`
    record spectra while a model trains and report the cost (for PyTorch
    Lightning: :class:`lyaplearn.lightning.LyapunovCallback`).
:func:`published_code_spectrum`
    the numbers of the paper's public code (see above).

One word per idea, in every function and result: ``state`` is which state
(``"full"`` or ``"hidden"``), ``h0`` the state a run starts from, ``frame`` the
frame convention and ``frame0`` the frame a run starts from. The names they
replaced still work for one release and warn (``_deprecated.py`` lists them).

The frame is re-orthonormalised by Householder QR or, with ``qr="cholesky"``
(the default on data-centre GPUs), by CholeskyQR2 built from matrix products in
float64, with every frame where it breaks down redone by Householder. NaN or
infinite arguments are refused, and a trajectory that overflows on the way is
reported with its time step.

Where each piece lives
----------------------
One concept per file; the names above are imported from them, and only
those names (``__all__``) are the public interface. The engine first:

====================  ======================================================  ==================================
file                  what it holds                                           read in (chapter 6 unless stated)
====================  ======================================================  ==================================
``_spectrum.py``      :func:`lyapunov_spectrum`: its checks, then one call    From the Jacobian to the spectrum
                      of the loop
``_step.py``          :func:`lyapunov_spectrum_step`, :func:`make_step`       Running it on your own model
                      (any cell, through ``torch.func``)
``_benettin.py``      the QR (Benettin) loop, the one loop of both entry      chapter 5, Volumes and the QR
                      points, and its books: initial frame, optimistic        algorithm
                      chunks, the result
``_tangents.py``      what the loop pushes the frame with: a module's         From the Jacobian to the spectrum
                      Jacobians (direct, formed, transposed) or a
                      function's ``jvp``/``vjp``
``_cells.py``         one class per architecture (``_LSTMLayer``,             The Jacobian of one LSTM step
                      ``_GRULayer``, ``_ElmanLayer``): trajectory, tangent
                      map, formed Jacobian blocks
``_engine.py``        ``_Engine``: a module's layers stacked, cast to one     From the Jacobian to the spectrum
                      dtype and device
``_jacobian.py``      :func:`jacobian`, the dense one-step Jacobian           The Jacobian of one LSTM step
``_states.py``        inputs and states in the module's formats;              Running it on your own model
                      :func:`state_dim`, :func:`flatten_state`
``_qr.py``            Householder and CholeskyQR2, and ``"auto"``'s rule      What it costs
``_nonfinite.py``     the overflow watch, without a sync per step             Running it on your own model
``_result.py``        :class:`SpectrumResult`                                 Running it on your own model
``_monitor.py``       :class:`SpectrumMonitor` and its clock                  What it costs
``_published.py``     :data:`PAPER_CONVENTION` and                            Two frame conventions
                      :func:`published_code_spectrum`: the published code's
                      conventions and its numbers
``_checks.py``        every argument check, each naming the argument          Running it on your own model
``_deprecated.py``    the old names, kept one release
====================  ======================================================  ==================================

and then what chapter 6 builds on it:

====================  ======================================================  ==================================
``_models.py``        :func:`make_rnn`, :func:`init_uniform`,                 A first spectrum
                      :func:`one_hot_inputs`: networks and inputs to try
``_experiments.py``   :func:`init_sweep`, :func:`train_with_monitor`          Initialisation scale; What it costs
``_conventions.py``   :func:`period3_rnn`, :func:`convention_gap`: the two    Two frame conventions
                      frame conventions side by side
``_plots.py``         the chapter's figures (``plot_*``)                      every figure of the chapter
====================  ======================================================  ==================================

Each architecture is one small class, each QR method one class and each tangent
map one class; the loop runs over them without branching on which one it has,
so a new cell is one new class in ``_cells.py``.

Examples
--------
A one-unit tanh RNN without bias, recurrent weight ``w`` and no input, sits
at its fixed point 0, where the Jacobian is ``w * tanh'(0) = w``: the only
exponent is ``ln |w|``, here ``ln 0.5``.

>>> import math, torch
>>> from lyaplearn.recurrent import lyapunov_spectrum
>>> rnn = torch.nn.RNN(1, 1, bias=False, dtype=torch.float64)
>>> with torch.no_grad():
...     _ = rnn.weight_hh_l0.fill_(0.5)
>>> res = lyapunov_spectrum(rnn, torch.zeros(10, 1, 1, dtype=torch.float64))
>>> math.isclose(res.exponents.item(), math.log(0.5), rel_tol=1e-12)
True
"""

from __future__ import annotations

from ._conventions import convention_gap, convention_gap_rnn, period3_rnn, period_exponents
from ._experiments import init_sweep, train_with_monitor
from ._jacobian import jacobian
from ._models import init_uniform, make_rnn, one_hot_inputs
from ._monitor import SpectrumMonitor
from ._plots import (draw_spectrum, plot_convergence, plot_frame_conventions, plot_full_vs_hidden,
                     plot_init_sweep, plot_spectra)
from ._published import PAPER_CONVENTION as _PAPER_CONVENTION
from ._published import published_code_spectrum
from ._result import SpectrumResult
from ._spectrum import lyapunov_spectrum
from ._states import flatten_state, state_dim, unflatten_state
from ._step import lyapunov_spectrum_step, make_step

#: Keyword arguments with the three conventions of Vogt et al.'s public code:
#: ``lyapunov_spectrum(lstm, x, **PAPER_CONVENTION)`` computes the hidden state only (the
#: LSTM's cell state held fixed), updates the frame with the transposed Jacobian,
#: ``Q <- J^T Q``, and reports bits: the paper's Algorithm 2 in the code's conventions.
#: It does not reproduce the code's numbers, whose loop also starts from the identity,
#: multiplies the warm-up's Jacobians before one QR and replays the warm-up inputs: for
#: those use :func:`published_code_spectrum` ("Reproducing the published code" above).
#: These are not the exponents of the network's state map ("Two frame conventions"
#: above); a read-only mapping.
PAPER_CONVENTION = _PAPER_CONVENTION

__all__ = [
    # the engine
    "lyapunov_spectrum",
    "lyapunov_spectrum_step",
    "jacobian",
    "SpectrumResult",
    "SpectrumMonitor",
    "PAPER_CONVENTION",
    "published_code_spectrum",
    "state_dim",
    "flatten_state",
    "unflatten_state",
    "make_step",
    # networks and inputs to try it on
    "make_rnn",
    "init_uniform",
    "one_hot_inputs",
    # chapter 6
    "init_sweep",
    "train_with_monitor",
    "period3_rnn",
    "period_exponents",
    "convention_gap_rnn",
    "convention_gap",
    "draw_spectrum",
    "plot_spectra",
    "plot_convergence",
    "plot_full_vs_hidden",
    "plot_init_sweep",
    "plot_frame_conventions",
]
