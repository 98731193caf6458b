"""A vanilla RNN's trajectory, its Jacobians and backpropagation through time (chapter 4)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .._activations import activate, activation_derivative, supported
from .._checks import _check_int
from .._deprecated import _renamed_keyword
from ._matrices import _square

#: Activations understood by the RNN functions.
ACTIVATIONS = supported("tanh", "relu", "linear")

# nonlinearity= is the old name of activation= (lyaplearn/_deprecated.py)
_renamed_activation = _renamed_keyword("nonlinearity", "activation", "lyaplearn.rnn")


def _activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


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


def _phi(a: np.ndarray, activation: str) -> np.ndarray:
    return activate(a, activation)


def _dphi(a: np.ndarray, activation: str) -> np.ndarray:
    # the derivative of relu at exactly 0 is taken as 0, as torch does
    return activation_derivative(a, activation)


# ---------------------------------------------------------------------------
# the vanilla RNN and its Jacobians
# ---------------------------------------------------------------------------

def _forward(W, U, b, xs, h0, activation):
    T = xs.shape[0]
    hs = np.empty((T + 1, W.shape[0]))
    pre = np.empty((T, W.shape[0]))
    hs[0] = h0
    for t in range(T):
        pre[t] = W @ hs[t] + U @ xs[t] + b
        hs[t + 1] = _phi(pre[t], activation)
    return hs, pre


@_renamed_activation
def hidden_trajectory(W, U, b, xs, h0, activation: str = "tanh") -> np.ndarray:
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
    activation
        ``"tanh"``, ``"relu"`` or ``"linear"`` (``ACTIVATIONS``); ``nonlinearity=`` is
        its deprecated name.

    Returns
    -------
    numpy.ndarray
        States ``h_0, h_1, ..., h_T`` as rows, shape ``(T + 1, n)``.
    """
    _activation(activation)
    W, U, b, xs, h0 = _rnn_arrays(W, U, b, xs, h0)
    return _forward(W, U, b, xs, h0, activation)[0]


@_renamed_activation
def hidden_jacobians(W, U, b, xs, h0, activation: str = "tanh") -> list[np.ndarray]:
    """Step Jacobians ``J_t = dh_t/dh_{t-1} = diag(phi'(a_t)) W`` along a trajectory.

    Arguments as in :func:`hidden_trajectory`; ``a_t = W h_{t-1} + U x_t + b``.

    Returns
    -------
    list of numpy.ndarray
        ``[J_1, ..., J_T]``, one ``(n, n)`` matrix per row of ``xs``.
    """
    _activation(activation)
    W, U, b, xs, h0 = _rnn_arrays(W, U, b, xs, h0)
    _, pre = _forward(W, U, b, xs, h0, activation)
    return [_dphi(a, activation)[:, None] * W for a in pre]


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


def bptt_gradient_norms(jacobians: Sequence[np.ndarray], grad_last) -> np.ndarray:
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


@_renamed_activation
def lag_profile(W, T: int, *, activation: str = "tanh", n_in: int = 4,
                input_scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Gradient amplification against lag for an RNN driven by random inputs.

    Builds ``U`` (Gaussian, scaled by ``input_scale / sqrt(n_in)``), ``b = 0``,
    ``h0 = 0`` and ``T`` Gaussian inputs from ``seed``, and returns
    :func:`jacobian_product_norms` of the resulting Jacobians (length ``T + 1``).
    ``activation`` is one of ``ACTIVATIONS`` (``nonlinearity=`` is its deprecated name).
    """
    W = _square(W)
    T = _check_int(T, "T", 1)
    n_in = _check_int(n_in, "n_in", 1)
    _activation(activation)
    rng = np.random.default_rng(seed)
    n = W.shape[0]
    U = rng.standard_normal((n, n_in)) * (input_scale / math.sqrt(n_in))
    xs = rng.standard_normal((T, n_in))
    Js = hidden_jacobians(W, U, np.zeros(n), xs, np.zeros(n), activation)
    return jacobian_product_norms(Js)
