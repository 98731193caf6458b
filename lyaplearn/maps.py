"""Discrete-time maps with their Jacobians, for chapter 5.

Every map is a small object with

* ``dim`` — the dimension of the state;
* ``step(x)`` (or ``step(x, u)`` for an input-driven map) — one iterate,
  vectorised over leading axes: ``x`` has shape ``(dim,)`` or ``(B, dim)``;
* ``jacobian(x)`` (or ``jacobian(x, u)``) — the Jacobian of ``step`` at the
  same arguments, shape ``(dim, dim)`` or ``(B, dim, dim)``.

That is exactly the interface :func:`lyaplearn.lyapunov.map_spectrum` expects.

Maps
----
:class:`LogisticMap`  ``x -> r x (1 - x)`` (May 1976).
:class:`HenonMap`     ``(x, y) -> (1 - a x^2 + y, b x)`` (Hénon 1976).
:class:`LinearMap`    ``x -> A x`` (exponents are known in closed form).
:class:`TanhRNN`      ``h -> tanh(g W h + U u + b)``, autonomous (``U = 0`` or
no input) or driven by Gaussian input.

Random weights: :func:`random_orthogonal` (Haar) and :func:`random_gaussian`
(entries ``N(0, 1/n)``), and :func:`random_tanh_rnn` which builds a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import _check_float, _check_int

__all__ = [
    "LogisticMap",
    "HenonMap",
    "LinearMap",
    "TanhRNN",
    "random_orthogonal",
    "random_gaussian",
    "random_tanh_rnn",
]


def _rng(seed=None, rng=None) -> np.random.Generator:
    """One numpy Generator from either ``seed`` or ``rng`` (not both)."""
    if rng is not None and seed is not None:
        raise ValueError("give either seed or rng, not both")
    if rng is None:
        return np.random.default_rng(seed)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _first_bad(arr: np.ndarray) -> tuple | None:
    """Index of the first (C order) non-finite entry of ``arr``, or ``None``."""
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), arr.shape))


def _bad_entry(arr: np.ndarray, name: str) -> str | None:
    """``"name[i, j] = value"`` for the first non-finite entry of ``arr``, or ``None``."""
    idx = _first_bad(arr)
    if idx is None:
        return None
    where = f"{name}[{', '.join(map(str, idx))}]" if idx else name
    return f"{where} = {arr[idx]}"


def _finite(arr, name: str) -> np.ndarray:
    """``arr`` as a float array; a ValueError names ``name`` and the first NaN/inf entry."""
    arr = np.asarray(arr, dtype=float)
    bad = _bad_entry(arr, name)
    if bad is not None:
        raise ValueError(f"{name} must contain only finite numbers, but {bad}")
    return arr


def _state(x, dim: int, name: str = "x") -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim < 1 or arr.shape[-1] != dim:
        raise ValueError(f"{name} must have shape ({dim},) or (B, {dim}), got shape {arr.shape}")
    return _finite(arr, name)



# ----------------------------------------------------------------------------
# Low-dimensional classics
# ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LogisticMap:
    """The logistic map ``x -> r x (1 - x)`` on ``[0, 1]``.

    The state is a vector of length 1 (so that it fits the same interface as
    every other map). At ``r = 4`` the Lyapunov exponent is exactly ``ln 2``.
    """

    r: float = 4.0
    dim: int = field(default=1, init=False)

    def __post_init__(self):
        if not 0 < _check_float(self.r, "r") <= 4:
            raise ValueError(f"r must lie in (0, 4], got {self.r!r}")

    def step(self, x):
        x = _state(x, 1)
        return self.r * x * (1.0 - x)

    def jacobian(self, x):
        x = _state(x, 1)
        return (self.r * (1.0 - 2.0 * x))[..., None]


@dataclass(frozen=True)
class HenonMap:
    """The Hénon map ``(x, y) -> (1 - a x^2 + y, b x)``.

    Its Jacobian ``[[-2 a x, 1], [b, 0]]`` has determinant ``-b`` everywhere,
    so the two exponents always add up to ``ln |b|``.

    Examples
    --------
    The sum of the exponents is exact on any trajectory (each one alone depends
    on how long the chaotic trajectory was followed):

    >>> import numpy as np
    >>> from lyaplearn.maps import HenonMap
    >>> from lyaplearn.lyapunov import map_spectrum
    >>> henon = HenonMap()                                # a = 1.4, b = 0.3
    >>> round(float(np.linalg.det(henon.jacobian([0.3, 0.1]))), 12)
    -0.3
    >>> exponents = map_spectrum(henon.step, henon.jacobian, [0.0, 0.0], 1000, warmup=100)
    >>> bool(np.isclose(exponents.sum(), np.log(0.3)))
    True
    >>> bool(exponents[0] > 0 > exponents[1])             # chaotic: one positive exponent
    True
    """

    a: float = 1.4
    b: float = 0.3
    dim: int = field(default=2, init=False)

    def __post_init__(self):
        _check_float(self.a, "a")
        if _check_float(self.b, "b") == 0:
            raise ValueError(f"b must be nonzero (the map must be invertible), got b={self.b!r}")

    def step(self, x):
        x = _state(x, 2)
        return np.stack([1.0 - self.a * x[..., 0] ** 2 + x[..., 1], self.b * x[..., 0]], axis=-1)

    def jacobian(self, x):
        x = _state(x, 2)
        jac = np.zeros(x.shape[:-1] + (2, 2))
        jac[..., 0, 0] = -2.0 * self.a * x[..., 0]
        jac[..., 0, 1] = 1.0
        jac[..., 1, 0] = self.b
        return jac


class LinearMap:
    """The linear map ``x -> A x``.

    Its Lyapunov exponents are ``log |eigenvalues of A|`` (each complex-conjugate
    pair gives two equal exponents), whatever the normality of ``A``.
    """

    def __init__(self, A):
        A = np.asarray(A, dtype=float)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise ValueError(f"A must be a non-empty square matrix, got shape {A.shape}")
        self.A = _finite(A, "A")
        self.dim = A.shape[0]

    def step(self, x):
        return _state(x, self.dim) @ self.A.T

    def jacobian(self, x):
        x = _state(x, self.dim)
        return np.broadcast_to(self.A, x.shape[:-1] + self.A.shape).copy()

    def exponents(self) -> np.ndarray:
        """Exact exponents ``log |eig(A)|``, sorted descending (nats per step)."""
        with np.errstate(divide="ignore"):
            return np.sort(np.log(np.abs(np.linalg.eigvals(self.A))))[::-1]


# ----------------------------------------------------------------------------
# Random tanh RNN
# ----------------------------------------------------------------------------

def random_orthogonal(n: int, *, seed=None, rng=None) -> np.ndarray:
    """A Haar-random ``n x n`` orthogonal matrix (QR of a Gaussian matrix, signs fixed)."""
    n = _check_int(n, "n", 1)
    g = _rng(seed, rng)
    q, r = np.linalg.qr(g.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def random_gaussian(n: int, *, seed=None, rng=None) -> np.ndarray:
    """An ``n x n`` matrix with independent ``N(0, 1/n)`` entries (spectral radius about 1)."""
    n = _check_int(n, "n", 1)
    g = _rng(seed, rng)
    return g.standard_normal((n, n)) / np.sqrt(n)


class TanhRNN:
    """Vanilla RNN ``h_t = tanh(g W h_{t-1} + U x_t + b)``.

    Parameters
    ----------
    W
        Recurrent weights, ``(N, N)``.
    gain
        The scalar ``g`` multiplying ``W``.
    U
        Input weights, ``(N, M)``; ``None`` means the identity (``M = N``), as in
        the paper's Figure 1.
    b
        Bias, ``(N,)``; ``None`` means zeros.
    input_std
        Standard deviation of the Gaussian input made by :meth:`inputs`.

    Notes
    -----
    ``step(h, x=None)`` and ``jacobian(h, x=None)`` take the previous state and
    the current input (``None``: autonomous, no input). The Jacobian is
    ``diag(1 - h_t^2) g W`` with ``h_t`` the *new* state.
    """

    def __init__(self, W, *, gain: float = 1.0, U=None, b=None, input_std: float = 0.0):
        W = np.asarray(W, dtype=float)
        if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
            raise ValueError(f"W must be a non-empty square matrix, got shape {W.shape}")
        n = W.shape[0]
        _finite(W, "W")
        gain = _check_float(gain, "gain", nonneg=True)
        input_std = _check_float(input_std, "input_std", nonneg=True)
        if U is None:
            U = np.eye(n)
        U = np.asarray(U, dtype=float)
        if U.ndim != 2 or U.shape[0] != n:
            raise ValueError(f"U must have shape ({n}, M), got shape {U.shape}")
        _finite(U, "U")
        b = np.zeros(n) if b is None else np.asarray(b, dtype=float)
        if b.shape != (n,):
            raise ValueError(f"b must have shape ({n},), got shape {b.shape}")
        _finite(b, "b")
        self.W, self.U, self.b = W, U, b
        self.gain = float(gain)
        self.input_std = float(input_std)
        self.dim = n
        self.n_inputs = U.shape[1]

    def preactivation(self, h, x=None):
        h = _state(h, self.dim, "h")
        a = self.gain * h @ self.W.T + self.b
        if x is not None:
            x = np.asarray(x, dtype=float)
            if x.ndim < 1 or x.shape[-1] != self.n_inputs:
                raise ValueError(
                    f"x must have shape ({self.n_inputs},) or (B, {self.n_inputs}), got shape {x.shape}")
            _finite(x, "x")
            a = a + x @ self.U.T
        return a

    def step(self, h, x=None):
        return np.tanh(self.preactivation(h, x))

    def jacobian(self, h, x=None):
        d = 1.0 - np.tanh(self.preactivation(h, x)) ** 2
        return d[..., :, None] * (self.gain * self.W)

    def inputs(self, steps: int, batch: int | None = None, *, seed=None, rng=None) -> np.ndarray:
        """Gaussian input sequence, shape ``(steps, M)`` or ``(steps, batch, M)``.

        With ``input_std = 0`` this is all zeros (the autonomous network).
        """
        steps = _check_int(steps, "steps", 1)
        shape = (steps, self.n_inputs) if batch is None else (
            steps, _check_int(batch, "batch", 1), self.n_inputs)
        return self.input_std * _rng(seed, rng).standard_normal(shape)

    def jacobians(self, h0, inputs) -> np.ndarray:
        """Jacobians ``J_1 ... J_T`` along the trajectory from ``h0``.

        ``J_t = dh_t / dh_{t-1}``, evaluated at ``(h_{t-1}, x_t)``. Shape
        ``(T, N, N)`` for ``inputs`` of shape ``(T, M)``, or ``(B, T, N, N)`` for
        ``(T, B, M)`` (ready for :func:`lyaplearn.lyapunov.spectrum_from_jacobians`).
        """
        traj = self.run(h0, inputs)
        h0 = np.broadcast_to(_state(h0, self.dim, "h0"), traj.shape[1:])
        prev = np.concatenate([h0[None], traj[:-1]], axis=0)
        J = self.jacobian(prev, np.asarray(inputs, dtype=float))     # (T, [B,] N, N)
        return J if J.ndim == 3 else np.moveaxis(J, 0, 1)

    def run(self, h0, inputs) -> np.ndarray:
        """Trajectory ``h_1 ... h_T`` for ``inputs`` of shape ``(T, M)`` or ``(T, B, M)``.

        Returns shape ``(T, N)`` or ``(T, B, N)``.
        """
        h = _state(h0, self.dim, "h0")
        inputs = np.asarray(inputs, dtype=float)
        if inputs.ndim not in (2, 3) or inputs.shape[-1] != self.n_inputs:
            raise ValueError(f"inputs must have shape (T, {self.n_inputs}) or (T, B, "
                             f"{self.n_inputs}), got shape {inputs.shape}")
        _finite(inputs, "inputs")
        out = []
        for x in inputs:
            h = self.step(h, x)
            out.append(h)
        return np.stack(out)


def random_tanh_rnn(n: int, *, gain: float = 1.0, input_std: float = 0.0,
                    weights: str = "orthogonal", bias_std: float = 0.0,
                    seed=None, rng=None) -> TanhRNN:
    """A random :class:`TanhRNN` with ``U = I`` (the set-up of the paper's Figure 1).

    Parameters
    ----------
    n
        Number of units.
    gain
        Scale ``g`` of the recurrent weights.
    input_std
        Standard deviation of the Gaussian input (``sigma_x``).
    weights
        ``"orthogonal"`` (Haar, all singular values 1) or ``"gaussian"``
        (entries ``N(0, 1/n)``).
    bias_std
        Standard deviation of a Gaussian bias (0: no bias).
    """
    n = _check_int(n, "n", 1)
    g = _rng(seed, rng)
    if weights == "orthogonal":
        W = random_orthogonal(n, rng=g)
    elif weights == "gaussian":
        W = random_gaussian(n, rng=g)
    else:
        raise ValueError(f"weights must be 'orthogonal' or 'gaussian', got {weights!r}")
    bias_std = _check_float(bias_std, "bias_std", nonneg=True)
    b = bias_std * g.standard_normal(n) if bias_std > 0 else None
    return TanhRNN(W, gain=gain, b=b, input_std=input_std)
