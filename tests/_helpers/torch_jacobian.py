"""Autograd's Jacobian of a torch function at a numpy point, the reference for the closed-form
Jacobians of chapter 8 (tests/test_remedies_residual.py, tests/test_remedies_layer_norm.py)."""

from __future__ import annotations

import torch


def torch_jac(f, x):
    """``df/dx`` at ``x`` (float64), by ``torch.autograd.functional.jacobian``, as a numpy array."""
    return torch.autograd.functional.jacobian(f, torch.as_tensor(x, dtype=torch.float64)).numpy()
