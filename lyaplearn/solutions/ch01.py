"""Reference solutions for the coding exercises of chapter 1 (the tyranny of the
product)."""

from __future__ import annotations

from lyaplearn.scalar import tower_derivative, tower_activation, contraction_factor

__all__ = ["steps_to_tolerance", "vanishing_depth"]


def steps_to_tolerance(eta: float, a: float, tol: float,
                       max_steps: int = 1_000_000) -> int | None:
    """Number of gradient steps on ``a * theta**2 / 2`` until
    ``|theta_t| <= tol * |theta_0|``.

    Runs gradient descent from ``theta_0 = 1`` (the answer does not depend on
    ``theta_0 != 0``) and returns the first ``t`` that meets the tolerance, or
    ``None`` if ``max_steps`` steps do not reach it (``|1 - eta a| >= 1``).
    """
    if not 0 < tol:
        raise ValueError(f"tol must be positive, got {tol}")
    contraction_factor(eta, a)  # checks eta and a
    theta = 1.0
    for t in range(max_steps + 1):
        if abs(theta) <= tol:
            return t
        theta = theta - eta * a * theta  # one gradient step, L'(theta) = a theta
    return None


def vanishing_depth(x: float, w: float, activation: str = "sigmoid", slope: float = 1.0,
                    threshold: float = 2.0 ** -52,
                    max_depth: int = 100_000) -> int | None:
    """Smallest depth ``L`` at which the tower's gradient ``|df_L/dw|`` drops below
    ``threshold``.

    One forward pass carries the running product ``x * sigma'(z_0) * ... *
    sigma'(z_{L-1})``, so finding the depth costs ``O(L)``, not ``O(L**2)``.
    Returns ``None`` if the gradient is still at least ``threshold`` at ``max_depth``.
    The default threshold is machine epsilon for float64.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    z = w * x  # z_0
    grad = float(x)  # depth 0: d(w x)/dw = x
    for depth in range(max_depth + 1):
        if abs(grad) < threshold:
            return depth
        # the factor sigma'(z_depth)
        grad *= float(tower_derivative(z, activation, slope))
        z = float(tower_activation(z, activation, slope))  # z_{depth+1}
    return None
