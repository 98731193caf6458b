"""Tests for lyaplearn.remedies._checks: the argument checks the remedies share name the argument
and what was expected (seen through residual_jacobians and depth_profile)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import remedies as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="activation must be one of"):
        R.residual_jacobians([np.eye(2)], np.ones(2), "relu")
    with pytest.raises(ValueError, match="weights must be square"):
        R.residual_jacobians([np.eye(2), np.eye(3)], np.ones(2))
    with pytest.raises(ValueError, match="x must be a finite vector of length 2"):
        R.residual_jacobians([np.eye(2)], np.ones(3))
    with pytest.raises(ValueError, match="biases must have one vector per layer"):
        R.residual_jacobians([np.eye(2)], np.ones(2), biases=[])
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        R.depth_profile(0)
