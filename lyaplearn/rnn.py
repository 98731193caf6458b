"""Time is depth: the linear algebra and training dynamics of recurrent networks.

The library behind chapter 4. A vanilla recurrent network

.. math:: h_t = \\varphi(W h_{t-1} + U x_t + b), \\qquad t = 1, \\dots, T,

is a deep network whose layers all share the matrix ``W``. Backpropagation
through time multiplies the error signal by the transposed step Jacobians
``J_t = diag(phi'(a_t)) W`` (with ``a_t`` the pre-activation), so the powers
of ``W`` and the products of the ``J_t`` decide whether gradients vanish or
explode.

Contents

* spectra and powers: :func:`spectral_radius`, :func:`power_norms`,
  :func:`gelfand_estimates`, :func:`init_recurrent`;
* the vanilla RNN: :func:`hidden_trajectory`, :func:`hidden_jacobians`,
  :func:`bptt_gradients`, :func:`gradient_norms_vs_lag`,
  :func:`jacobian_product_norms`, :func:`lag_profile`;
* training with and without gradient-norm clipping: :func:`recall_task`,
  :func:`clip_gradient_norm`, :func:`clipped_sgd_step`,
  :func:`train_recall`, :class:`TrainingRun`, and the same comparison over
  an ensemble of seeds, :func:`clipping_ensemble`, :class:`ClippingEnsemble`;
* figures: :func:`plot_power_norms`, :func:`plot_gelfand`,
  :func:`plot_gradient_vs_lag`, :func:`plot_clipping_curves`,
  :func:`plot_clipping_ensemble`.

A single training run of an expansive RNN is chaotic: another CPU, BLAS or
kernel path changes the last digits, and a few hundred SGD steps amplify them
until the step at which a run diverges, or whether it diverges at all, is a
matter of chance. Claims about clipping are therefore made over an ensemble of
seeds (:func:`clipping_ensemble`), never about one trajectory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch
from matplotlib.ticker import NullLocator

from . import style

__all__ = [
    "NONLINEARITIES",
    "KINDS",
    "spectral_radius",
    "init_recurrent",
    "power_norms",
    "gelfand_estimates",
    "hidden_trajectory",
    "hidden_jacobians",
    "bptt_gradients",
    "gradient_norms_vs_lag",
    "jacobian_product_norms",
    "lag_profile",
    "recall_task",
    "clip_gradient_norm",
    "clipped_sgd_step",
    "TrainingRun",
    "train_recall",
    "ClippingEnsemble",
    "clipping_ensemble",
    "plot_power_norms",
    "plot_gelfand",
    "plot_gradient_vs_lag",
    "plot_clipping_curves",
    "plot_clipping_ensemble",
]

#: Nonlinearities understood by the RNN functions.
NONLINEARITIES = ("tanh", "relu", "linear")

#: Kinds of recurrent matrix made by :func:`init_recurrent`.
KINDS = ("normal", "nonnormal", "gaussian")


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------

def _square(W, name: str = "W") -> np.ndarray:
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{name} must contain only finite numbers")
    return W


def _nonlinearity(nonlinearity: str) -> str:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    return nonlinearity


def _steps(steps, name: str = "steps", minimum: int = 0) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {steps!r}")
    return int(steps)


def _rnn_arrays(W, U, b, xs, h0):
    """Check the shapes of an RNN's parameters and inputs; return float arrays."""
    W = _square(W)
    n = W.shape[0]
    xs = np.asarray(xs, dtype=float)
    if xs.ndim != 2:
        raise ValueError(f"xs must be a 2-D array of shape (T, n_in), got shape {xs.shape}")
    n_in = xs.shape[1]
    U = np.asarray(U, dtype=float)
    if U.shape != (n, n_in):
        raise ValueError(
            f"U must have shape (n_hidden, n_in) = {(n, n_in)} (n_hidden from W {W.shape}, "
            f"n_in from xs {xs.shape}), got shape {U.shape}")
    b = np.asarray(b, dtype=float)
    if b.shape != (n,):
        raise ValueError(
            f"b must have shape (n_hidden,) = {(n,)} to match W {W.shape}, got shape {b.shape}")
    h0 = np.asarray(h0, dtype=float)
    if h0.shape != (n,):
        raise ValueError(
            f"h0 must have shape (n_hidden,) = {(n,)} to match W {W.shape}, got shape {h0.shape}")
    return W, U, b, xs, h0


def _phi(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    if nonlinearity == "tanh":
        return np.tanh(a)
    if nonlinearity == "relu":
        return np.maximum(a, 0.0)
    return a.copy()


def _dphi(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    if nonlinearity == "tanh":
        return 1.0 - np.tanh(a) ** 2
    if nonlinearity == "relu":
        # the derivative at exactly 0 is taken as 0, as torch does
        return (a > 0).astype(float)
    return np.ones_like(a)


# ---------------------------------------------------------------------------
# spectra and powers
# ---------------------------------------------------------------------------

def spectral_radius(W) -> float:
    """Largest modulus of an eigenvalue of a square matrix, ``rho(W) = max |lambda_i|``.

    Raises
    ------
    ValueError
        If ``W`` is not a non-empty square matrix of finite numbers.

    Examples
    --------
    A diagonal matrix has its entries as eigenvalues; ``2`` times a rotation
    has eigenvalues of modulus 2 although none of its entries exceeds 2:

    >>> import numpy as np
    >>> from lyaplearn.rnn import spectral_radius
    >>> round(spectral_radius(np.diag([0.5, -3.0, 1.0])), 12)
    3.0
    >>> round(spectral_radius([[0.0, -2.0], [2.0, 0.0]]), 12)
    2.0
    """
    W = _square(W)
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def _random_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-distributed orthogonal matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _block_eigen_form(n: int, rho: float, rng: np.random.Generator):
    """Block-diagonal real matrix with 2x2 rotation-scaling blocks.

    The blocks have eigenvalues r_k exp(+-i theta_k); the moduli r_k lie in
    [0, rho] with the first equal to rho, so the spectral radius is exactly rho.
    Returns the matrix and a mask of the entries strictly above the blocks.
    """
    D = np.zeros((n, n))
    above = np.triu(np.ones((n, n), dtype=bool), 1)
    i = 0
    first = True
    while i < n:
        r = rho if first else rho * math.sqrt(rng.uniform())
        first = False
        if i + 1 < n:
            theta = rng.uniform(0.0, math.pi)
            c, s = math.cos(theta), math.sin(theta)
            D[i:i + 2, i:i + 2] = r * np.array([[c, -s], [s, c]])
            above[i, i + 1] = False
            i += 2
        else:
            D[i, i] = r if rng.uniform() < 0.5 else -r
            i += 1
    return D, above


def init_recurrent(n: int, rho: float, kind: str = "normal",
                   rng: np.random.Generator | int | None = None, *,
                   coupling: float = 2.0) -> np.ndarray:
    """A random n x n recurrent matrix whose spectral radius is exactly ``rho``.

    Parameters
    ----------
    n
        Size of the hidden state.
    rho
        Spectral radius, ``rho >= 0``.
    kind
        ``"normal"``: ``W = Q D Q^T`` with ``Q`` a random orthogonal matrix and
        ``D`` block diagonal (2x2 rotation-scaling blocks with moduli in
        ``[0, rho]``, the largest equal to ``rho``). ``W`` is a normal matrix, so
        ``||W^t|| = rho^t`` for every ``t``.

        ``"nonnormal"``: ``W = Q (D + N) Q^T`` (a real Schur form) with the same
        kind of ``D`` and a strictly block-upper-triangular coupling ``N`` with
        Gaussian entries of standard deviation ``coupling / sqrt(n)``. ``N`` does
        not change the eigenvalues, but it makes ``||W^t||`` grow transiently
        before the decay at rate ``rho`` takes over.

        ``"gaussian"``: an i.i.d. Gaussian matrix rescaled by ``rho / rho(G)``,
        the common initialisation (mildly non-normal).
    rng
        A :class:`numpy.random.Generator` or an integer seed.
    coupling
        Strength of the non-normal coupling (``kind="nonnormal"`` only), ``>= 0``.

    Returns
    -------
    numpy.ndarray
        The matrix, shape ``(n, n)``.
    """
    n = _steps(n, "n", minimum=1)
    if not np.isfinite(rho) or rho < 0:
        raise ValueError(f"rho must be a finite number >= 0, got {rho!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if not np.isfinite(coupling) or coupling < 0:
        raise ValueError(f"coupling must be a finite number >= 0, got {coupling!r}")
    rng = np.random.default_rng(rng)
    rho = float(rho)
    if kind == "gaussian":
        G = rng.standard_normal((n, n)) / math.sqrt(n)
        return G * (rho / spectral_radius(G))
    D, above = _block_eigen_form(n, rho, rng)
    if kind == "nonnormal":
        D = D + above * rng.standard_normal((n, n)) * (coupling / math.sqrt(n))
    Q = _random_orthogonal(n, rng)
    return Q @ D @ Q.T


def _log_power_norms(W: np.ndarray, steps: int) -> np.ndarray:
    """log ||W^t||_2 for t = 0..steps, renormalising to avoid over/underflow."""
    out = np.zeros(steps + 1)
    P = np.eye(W.shape[0])
    log_scale = 0.0
    for t in range(1, steps + 1):
        P = W @ P
        s = np.linalg.norm(P, 2)
        if s == 0.0:
            out[t:] = -np.inf
            break
        log_scale += math.log(s)
        P = P / s
        out[t] = log_scale
    return out


def power_norms(W, steps: int) -> np.ndarray:
    """Spectral norms ``||W^t||_2`` for ``t = 0, 1, ..., steps`` (``||W^0|| = 1``)."""
    W = _square(W)
    steps = _steps(steps)
    return np.exp(_log_power_norms(W, steps))


def gelfand_estimates(W, steps: int) -> np.ndarray:
    """Gelfand's estimates ``||W^t||_2^(1/t)`` for ``t = 1, ..., steps``.

    They converge to the spectral radius as ``t`` grows (Gelfand's formula).
    """
    W = _square(W)
    steps = _steps(steps, minimum=1)
    logs = _log_power_norms(W, steps)[1:]
    return np.exp(logs / np.arange(1, steps + 1))


# ---------------------------------------------------------------------------
# the vanilla RNN and its Jacobians
# ---------------------------------------------------------------------------

def _forward(W, U, b, xs, h0, nonlinearity):
    T = xs.shape[0]
    hs = np.empty((T + 1, W.shape[0]))
    pre = np.empty((T, W.shape[0]))
    hs[0] = h0
    for t in range(T):
        pre[t] = W @ hs[t] + U @ xs[t] + b
        hs[t + 1] = _phi(pre[t], nonlinearity)
    return hs, pre


def hidden_trajectory(W, U, b, xs, h0, nonlinearity: str = "tanh") -> np.ndarray:
    """Run ``h_t = phi(W h_{t-1} + U x_t + b)`` over the rows of ``xs``.

    Parameters
    ----------
    W
        Recurrent matrix, shape ``(n, n)``.
    U
        Input matrix, shape ``(n, n_in)``.
    b
        Bias, shape ``(n,)``.
    xs
        Inputs ``x_1, ..., x_T`` as rows, shape ``(T, n_in)``.
    h0
        Initial state, shape ``(n,)``.
    nonlinearity
        ``"tanh"``, ``"relu"`` or ``"linear"``.

    Returns
    -------
    numpy.ndarray
        States ``h_0, h_1, ..., h_T`` as rows, shape ``(T + 1, n)``.
    """
    _nonlinearity(nonlinearity)
    W, U, b, xs, h0 = _rnn_arrays(W, U, b, xs, h0)
    return _forward(W, U, b, xs, h0, nonlinearity)[0]


def hidden_jacobians(W, U, b, xs, h0, nonlinearity: str = "tanh") -> list[np.ndarray]:
    """Step Jacobians ``J_t = dh_t/dh_{t-1} = diag(phi'(a_t)) W`` along a trajectory.

    Arguments as in :func:`hidden_trajectory`; ``a_t = W h_{t-1} + U x_t + b``.

    Returns
    -------
    list of numpy.ndarray
        ``[J_1, ..., J_T]``, one ``(n, n)`` matrix per row of ``xs``.
    """
    _nonlinearity(nonlinearity)
    W, U, b, xs, h0 = _rnn_arrays(W, U, b, xs, h0)
    _, pre = _forward(W, U, b, xs, h0, nonlinearity)
    return [_dphi(a, nonlinearity)[:, None] * W for a in pre]


def _jacobian_list(jacobians) -> list[np.ndarray]:
    jacobians = [np.asarray(J, dtype=float) for J in jacobians]
    if not jacobians:
        raise ValueError("jacobians must contain at least one matrix, got an empty sequence")
    n = jacobians[0].shape[0] if jacobians[0].ndim == 2 else -1
    for k, J in enumerate(jacobians):
        if J.ndim != 2 or J.shape != (n, n):
            raise ValueError(
                f"jacobians must all be square matrices of the same shape; "
                f"jacobians[0] has shape {jacobians[0].shape}, jacobians[{k}] has shape {J.shape}")
    return jacobians


def bptt_gradients(jacobians: Sequence[np.ndarray], grad_last) -> np.ndarray:
    """Backpropagation through time for a loss that reads only the last state.

    Given ``g_T = dL/dh_T``, the recursion ``g_{t-1} = J_t^T g_t`` gives every
    ``g_t = dL/dh_t``.

    Parameters
    ----------
    jacobians
        ``[J_1, ..., J_T]`` as returned by :func:`hidden_jacobians`.
    grad_last
        ``dL/dh_T``, shape ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Rows ``g_0, g_1, ..., g_T``, shape ``(T + 1, n)``.
    """
    Js = _jacobian_list(jacobians)
    n = Js[0].shape[0]
    g = np.asarray(grad_last, dtype=float)
    if g.shape != (n,):
        raise ValueError(
            f"grad_last must have shape (n_hidden,) = {(n,)} to match the Jacobians, "
            f"got shape {g.shape}")
    T = len(Js)
    out = np.empty((T + 1, n))
    out[T] = g
    for t in range(T, 0, -1):
        out[t - 1] = Js[t - 1].T @ out[t]
    return out


def gradient_norms_vs_lag(jacobians: Sequence[np.ndarray], grad_last) -> np.ndarray:
    """``||dL/dh_{T-k}||`` for lags ``k = 0, 1, ..., T`` (loss at the last step).

    Same arguments as :func:`bptt_gradients`; entry ``k`` is the norm of the
    gradient that has travelled ``k`` steps back in time.
    """
    grads = bptt_gradients(jacobians, grad_last)
    return np.linalg.norm(grads[::-1], axis=1)


def jacobian_product_norms(jacobians: Sequence[np.ndarray]) -> np.ndarray:
    """Worst-case amplification ``||dh_T/dh_{T-k}||_2 = ||J_T J_{T-1} ... J_{T-k+1}||_2``.

    Entry ``k`` (``k = 0..T``) is the largest factor by which a gradient can
    grow when sent ``k`` steps back; entry 0 is 1. For a linear RNN every
    ``J_t = W`` and entry ``k`` is ``||W^k||_2``.
    """
    Js = _jacobian_list(jacobians)
    T = len(Js)
    out = np.ones(T + 1)
    P = np.eye(Js[0].shape[0])
    log_scale = 0.0
    for k in range(1, T + 1):
        P = P @ Js[T - k]
        s = np.linalg.norm(P, 2)
        if s == 0.0:
            out[k:] = 0.0
            break
        log_scale += math.log(s)
        P = P / s
        out[k] = math.exp(log_scale)
    return out


def lag_profile(W, T: int, *, nonlinearity: str = "tanh", n_in: int = 4,
                input_scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Gradient amplification against lag for an RNN driven by random inputs.

    Builds ``U`` (Gaussian, scaled by ``input_scale / sqrt(n_in)``), ``b = 0``,
    ``h0 = 0`` and ``T`` Gaussian inputs from ``seed``, and returns
    :func:`jacobian_product_norms` of the resulting Jacobians (length ``T + 1``).
    """
    W = _square(W)
    T = _steps(T, "T", minimum=1)
    n_in = _steps(n_in, "n_in", minimum=1)
    _nonlinearity(nonlinearity)
    rng = np.random.default_rng(seed)
    n = W.shape[0]
    U = rng.standard_normal((n, n_in)) * (input_scale / math.sqrt(n_in))
    xs = rng.standard_normal((T, n_in))
    Js = hidden_jacobians(W, U, np.zeros(n), xs, np.zeros(n), nonlinearity)
    return jacobian_product_norms(Js)


# ---------------------------------------------------------------------------
# training: a long-memory task with and without gradient-norm clipping
# ---------------------------------------------------------------------------

def recall_task(batch: int, length: int, generator: torch.Generator,
                dtype: torch.dtype = torch.float64):
    """A batch of the *recall* task: report the first input after ``length - 1`` steps.

    Channel 0 carries Gaussian values ``v_1, ..., v_T``; channel 1 marks the
    first step with a 1. The target is ``v_1``, read from the last state. A
    network that remembers nothing predicts 0 and has mean squared error 1
    (the variance of ``v_1``).

    Returns
    -------
    (x, y)
        ``x`` of shape ``(batch, length, 2)`` and ``y`` of shape ``(batch, 1)``.
    """
    batch = _steps(batch, "batch", minimum=1)
    length = _steps(length, "length", minimum=1)
    v = torch.randn(batch, length, generator=generator, dtype=dtype)
    marker = torch.zeros(batch, length, dtype=dtype)
    marker[:, 0] = 1.0
    return torch.stack([v, marker], dim=-1), v[:, :1].clone()


def clip_gradient_norm(grads: Sequence[torch.Tensor], max_norm: float | None):
    """Rescale gradients so that their joint Euclidean norm is at most ``max_norm``.

    ``g <- g * min(1, max_norm / ||g||)`` (Pascanu et al., 2013): the direction
    is kept, only the length is capped. ``max_norm=None`` leaves ``g`` alone.

    Returns
    -------
    (clipped, norm)
        New tensors and the norm ``||g||`` before clipping.
    """
    grads = list(grads)
    if max_norm is not None and (not np.isfinite(max_norm) or max_norm <= 0):
        raise ValueError(f"max_norm must be a finite number > 0 or None, got {max_norm!r}")
    norm = float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)))
    scale = 1.0
    if max_norm is not None and norm > max_norm:
        scale = max_norm / norm
    return [g * scale for g in grads], norm


def clipped_sgd_step(params: Iterable[torch.nn.Parameter], lr: float,
                     max_norm: float | None = None) -> tuple[float, float]:
    """One step of gradient descent, optionally with gradient-norm clipping.

    ``theta <- theta - lr * clip(g)`` using the ``.grad`` of each parameter.

    Returns
    -------
    (grad_norm, update_norm)
        ``||g||`` before clipping and the length of the step taken,
        ``lr * min(||g||, max_norm)``.
    """
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    params = [p for p in params if p.grad is not None]
    clipped, norm = clip_gradient_norm([p.grad for p in params], max_norm)
    with torch.no_grad():
        for p, g in zip(params, clipped):
            p -= lr * g
    step = norm if max_norm is None else min(norm, max_norm)
    return norm, lr * step


@dataclass
class TrainingRun:
    """Curves recorded by :func:`train_recall` (one entry per step taken)."""

    #: mean squared error on each training batch, divided by the no-memory error 1
    losses: np.ndarray
    #: gradient norm before clipping
    grad_norms: np.ndarray
    #: length of each parameter update
    update_norms: np.ndarray
    #: clipping threshold (None: no clipping)
    max_norm: float | None
    #: learning rate
    lr: float
    #: step at which the loss became non-finite or exceeded 1000 (None: never)
    diverged_at: int | None

    @property
    def label(self) -> str:
        return "no clipping" if self.max_norm is None else f"clipped at {self.max_norm:g}"


def train_recall(*, max_norm: float | None = None, hidden: int = 32, length: int = 15,
                 rho: float = 1.5, lr: float = 0.1, steps: int = 400, batch: int = 64,
                 seed: int = 0, threads: int | None = 1) -> TrainingRun:
    """Train a tanh RNN on :func:`recall_task` with plain SGD, clipped or not.

    The recurrent matrix starts as ``init_recurrent(hidden, rho, "gaussian")``;
    with ``rho > 1`` the untrained network is expansive and gradients through
    time can explode. Everything (weights, batches) follows from ``seed`` and
    the computation runs in float64, so a run is reproducible.

    Parameters
    ----------
    max_norm
        Gradient-norm clipping threshold, or None for no clipping.
    hidden, length, rho, lr, steps, batch, seed
        Hidden size, sequence length (the memory span), initial spectral
        radius, learning rate, number of SGD steps, batch size and seed. The
        defaults run in about a second; larger ``length`` and ``steps`` show
        the same effect more strongly.
    threads
        Number of torch threads used during the run (restored afterwards).
        The tensors are tiny, so one thread is fastest; None keeps torch's
        setting.

    Returns
    -------
    TrainingRun
        Curves up to the last step taken; training stops early if the loss
        becomes non-finite or exceeds 1000 (recorded in ``diverged_at``).
    """
    hidden = _steps(hidden, "hidden", minimum=1)
    length = _steps(length, "length", minimum=1)
    steps = _steps(steps, "steps", minimum=1)
    batch = _steps(batch, "batch", minimum=1)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if max_norm is not None and (not np.isfinite(max_norm) or max_norm <= 0):
        raise ValueError(f"max_norm must be a finite number > 0 or None, got {max_norm!r}")
    rng = np.random.default_rng(seed)
    W = init_recurrent(hidden, rho, "gaussian", rng)
    dt = torch.float64
    rnn = torch.nn.RNN(2, hidden, nonlinearity="tanh", batch_first=True, dtype=dt)
    readout = torch.nn.Linear(hidden, 1, dtype=dt)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.from_numpy(W))
        rnn.weight_ih_l0.copy_(torch.from_numpy(rng.standard_normal((hidden, 2))))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
        readout.weight.copy_(torch.from_numpy(rng.standard_normal((1, hidden)) / math.sqrt(hidden)))
        readout.bias.zero_()
    params = list(rnn.parameters()) + list(readout.parameters())
    gen = torch.Generator().manual_seed(int(seed))
    losses, gnorms, unorms = [], [], []
    diverged_at = None
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_steps(threads, "threads", minimum=1))
    try:
        for k in range(steps):
            x, y = recall_task(batch, length, gen, dtype=dt)
            out, _ = rnn(x)
            loss = ((readout(out[:, -1]) - y) ** 2).mean()
            value = loss.detach().item()
            if not math.isfinite(value) or value > 1e3:
                diverged_at = k
                break
            for p in params:
                p.grad = None
            loss.backward()
            g, u = clipped_sgd_step(params, lr, max_norm)
            losses.append(value)
            gnorms.append(g)
            unorms.append(u)
    finally:
        torch.set_num_threads(previous_threads)
    return TrainingRun(np.array(losses), np.array(gnorms), np.array(unorms),
                       max_norm, float(lr), diverged_at)


@dataclass
class ClippingEnsemble:
    """Clipped and unclipped training runs from the same seeds (see :func:`clipping_ensemble`).

    ``free[i]`` and ``clipped[i]`` start from the same weights and see the same
    batches (seed ``seeds[i]``); they differ only in the clipping threshold.
    """

    #: the seeds, one pair of runs per seed
    seeds: tuple[int, ...]
    #: runs without clipping
    free: list[TrainingRun]
    #: runs with gradient-norm clipping at ``max_norm``
    clipped: list[TrainingRun]
    #: the clipping threshold of the clipped runs
    max_norm: float
    #: number of SGD steps each run was given
    steps: int
    #: number of final steps averaged by :meth:`final_losses`
    tail: int = 50

    def _runs(self, which: str) -> list[TrainingRun]:
        if which not in ("free", "clipped"):
            raise ValueError(f"which must be 'free' or 'clipped', got {which!r}")
        return self.free if which == "free" else self.clipped

    def diverged(self, which: str) -> int:
        """How many runs of ``which`` (``"free"`` or ``"clipped"``) diverged."""
        return sum(r.diverged_at is not None for r in self._runs(which))

    def peak_gradient_norms(self, which: str) -> np.ndarray:
        """Largest gradient norm (before clipping) seen by each run."""
        return np.array([r.grad_norms.max() if r.grad_norms.size else np.nan
                         for r in self._runs(which)])

    def final_losses(self, which: str) -> np.ndarray:
        """Mean loss over each run's last ``tail`` steps; ``inf`` for a run that diverged."""
        return np.array([np.inf if r.diverged_at is not None else r.losses[-self.tail:].mean()
                         for r in self._runs(which)])

    def summary(self) -> str:
        """One line per kind of run: divergences, peak gradient norms, final losses."""
        lines = []
        for which, name in (("free", "no clipping"), ("clipped", f"clipped at {self.max_norm:g}")):
            peaks = self.peak_gradient_norms(which)
            final = self.final_losses(which)
            ok = final[np.isfinite(final)]
            loss = (f"median final loss {np.median(ok):.2f}" if ok.size
                    else "no run finished")
            lines.append(f"{name}: {self.diverged(which)}/{len(self.seeds)} diverged, "
                         f"peak |g| {peaks.min():.3g} to {peaks.max():.3g}, {loss}")
        return "\n".join(lines)


def clipping_ensemble(seeds: Iterable[int] = range(8), *, max_norm: float = 1.0,
                      **train_kw) -> ClippingEnsemble:
    """Train :func:`train_recall` with and without clipping for each seed.

    What one run does after a few hundred steps of an expansive RNN depends on
    the last digits of the arithmetic (the CPU, the BLAS, torch's kernel path),
    so the book states its clipping results over this ensemble: how many runs
    diverge, and the spread of peak gradient norms and final losses.

    Parameters
    ----------
    seeds
        One pair of runs (unclipped, clipped) per seed; at least one seed.
    max_norm
        Clipping threshold of the clipped runs.
    **train_kw
        Passed to :func:`train_recall` (``hidden``, ``length``, ``rho``,
        ``lr``, ``steps``, ``batch``, ``threads``).
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    if "seed" in train_kw:
        raise ValueError("clipping_ensemble takes seeds=[...], not seed")
    if max_norm is None or not np.isfinite(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm must be a finite number > 0, got {max_norm!r}")
    free = [train_recall(max_norm=None, seed=s, **train_kw) for s in seeds]
    clipped = [train_recall(max_norm=max_norm, seed=s, **train_kw) for s in seeds]
    steps = int(train_kw.get("steps", 400))
    return ClippingEnsemble(seeds, free, clipped, float(max_norm), steps)


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def _matrices(mats) -> dict[str, np.ndarray]:
    if not isinstance(mats, Mapping) or not mats:
        raise ValueError("mats must be a non-empty mapping from label to square matrix")
    return {str(k): _square(v, f"mats[{k!r}]") for k, v in mats.items()}


@style.styled
def plot_power_norms(mats: Mapping[str, np.ndarray], steps: int = 60, *, ax=None):
    """``||W^t||_2`` (solid) against ``rho(W)^t`` (dashed) for each labelled matrix.

    Log y axis. Pass ``ax`` to draw into an existing axis (the figure of that
    axis is returned).
    """
    mats = _matrices(mats)
    steps = _steps(steps, minimum=1)
    if ax is None:
        fig, ax = style.figure(figsize=(6.4, 3.8))
    else:
        fig = ax.figure
    t = np.arange(steps + 1)
    for i, (label, W) in enumerate(mats.items()):
        color = style.PALETTE[i % len(style.PALETTE)]
        rho = spectral_radius(W)
        ax.semilogy(t, power_norms(W, steps), color=color, label=f"{label}: $\\|W^t\\|_2$")
        ax.semilogy(t, rho ** t, color=color, ls="--", lw=1.2,
                    label=f"{label}: $\\rho^t$, $\\rho$ = {rho:.2f}")
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_xlabel("power t (time steps)")
    ax.set_ylabel("norm (dimensionless)")
    ax.legend(loc="best")
    return fig


@style.styled
def plot_gelfand(mats: Mapping[str, np.ndarray], steps: int = 200):
    """Gelfand's estimates ``||W^t||^(1/t)`` approaching ``rho(W)`` (dotted lines)."""
    mats = _matrices(mats)
    steps = _steps(steps, minimum=1)
    fig, ax = style.figure(figsize=(6.4, 3.6))
    t = np.arange(1, steps + 1)
    for i, (label, W) in enumerate(mats.items()):
        color = style.PALETTE[i % len(style.PALETTE)]
        ax.semilogx(t, gelfand_estimates(W, steps), color=color, label=label)
        ax.axhline(spectral_radius(W), color=color, ls=":", lw=1.2)
    ax.set_xlabel("power t (time steps, log scale)")
    ax.set_ylabel("$\\|W^t\\|_2^{1/t}$ (per step)")
    ax.legend(loc="best", title="dotted: $\\rho(W)$")
    return fig


@style.styled
def plot_gradient_vs_lag(curves: Mapping[str, np.ndarray], *, ax=None,
                         ylabel: str = "$\\|\\partial L/\\partial h_{T-k}\\|$ (relative)"):
    """Gradient norm against the time lag ``k`` on a log axis, one line per curve.

    ``curves`` maps a label to an array whose entry ``k`` belongs to lag ``k``
    (as returned by :func:`gradient_norms_vs_lag` or
    :func:`jacobian_product_norms`).
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves must be a non-empty mapping from label to a 1-D array")
    if ax is None:
        fig, ax = style.figure(figsize=(6.4, 3.8))
    else:
        fig = ax.figure
    for label, c in curves.items():
        c = np.asarray(c, dtype=float)
        if c.ndim != 1:
            raise ValueError(f"curves[{label!r}] must be a 1-D array, got shape {c.shape}")
        ax.semilogy(np.arange(c.size), c, label=str(label))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("time lag k (steps back from the loss)")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    return fig


@style.styled
def plot_clipping_curves(runs: Sequence[TrainingRun]):
    """Loss and gradient norm per SGD step for training runs, clipped or not.

    Left: loss relative to the no-memory error (log axis); a cross marks a run
    that diverged. Right: gradient norm before clipping (log axis) with each
    clipping threshold as a dotted line.
    """
    runs = list(runs)
    if not runs or not all(isinstance(r, TrainingRun) for r in runs):
        raise ValueError("runs must be a non-empty sequence of TrainingRun")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.6))
    for i, r in enumerate(runs):
        color = style.PALETTE[i % len(style.PALETTE)]
        k = np.arange(r.losses.size)
        ax1.semilogy(k, r.losses, color=color, lw=1.0, label=r.label)
        ax2.semilogy(k, r.grad_norms, color=color, lw=1.0, label=r.label)
        if r.diverged_at is not None and r.losses.size:
            ax1.plot(k[-1], r.losses[-1], "x", color=color, ms=10, mew=2)
        if r.max_norm is not None:
            ax2.axhline(r.max_norm, color=color, ls=":", lw=1.2)
    ax1.axhline(1.0, color="0.5", lw=0.8)
    ax1.set_xlabel("SGD step")
    ax1.set_ylabel("loss / no-memory loss")
    ax1.legend(loc="best")
    ax2.set_xlabel("SGD step")
    ax2.set_ylabel("gradient norm $\\|g\\|$ before clipping")
    return fig


@style.styled
def plot_clipping_ensemble(ens: ClippingEnsemble):
    """The clipping experiment over an ensemble of seeds.

    Left: the loss of every run against the SGD step (log axis), unclipped
    runs in one colour and clipped runs in another; a cross marks the step at
    which a run diverged. Right: each run's peak gradient norm (before
    clipping), one dot per seed, with the clipping threshold dotted; hollow
    dots are runs that diverged.
    """
    if not isinstance(ens, ClippingEnsemble):
        raise ValueError(f"ens must be a ClippingEnsemble, got {type(ens).__name__}")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.8),
                                   gridspec_kw={"width_ratios": [1.8, 1]})
    kinds = (("free", "no clipping", style.PALETTE[1]),
             ("clipped", f"clipped at {ens.max_norm:g}", style.PALETTE[0]))
    rng = np.random.default_rng(0)          # horizontal jitter of the dots only
    for x, (which, name, color) in enumerate(kinds):
        runs = ens._runs(which)
        for i, r in enumerate(runs):
            k = np.arange(r.losses.size)
            ax1.semilogy(k, r.losses, color=color, lw=0.8, alpha=0.6,
                         label=f"{name} ({ens.diverged(which)}/{len(runs)} diverged)" if i == 0 else None)
            if r.diverged_at is not None and r.losses.size:
                ax1.plot(k[-1], r.losses[-1], "x", color=color, ms=8, mew=2)
        peaks = ens.peak_gradient_norms(which)
        div = np.array([r.diverged_at is not None for r in runs])
        xs = x + rng.uniform(-0.15, 0.15, size=peaks.size)
        ax2.scatter(xs[~div], peaks[~div], color=color, s=28, zorder=3)
        ax2.scatter(xs[div], peaks[div], facecolors="white", edgecolors=color, s=28,
                    linewidths=1.5, zorder=3)
    ax1.axhline(1.0, color="0.5", lw=0.8)
    ax1.yaxis.set_minor_locator(NullLocator())
    ax1.set_xlabel("SGD step")
    ax1.set_ylabel("loss / no-memory loss")
    ax1.legend(loc="upper right")
    ax2.axhline(ens.max_norm, color=style.PALETTE[0], ls=":", lw=1.2)
    ax2.set_yscale("log")
    ax2.yaxis.set_minor_locator(NullLocator())
    ax2.set_xticks([0, 1], [name for _, name, _ in kinds])
    ax2.set_xlim(-0.5, 1.5)
    ax2.set_ylabel("peak gradient norm $\\|g\\|$ (before clipping)")
    ax2.set_title(f"{len(ens.seeds)} seeds; hollow: diverged", fontsize=10)
    return fig
