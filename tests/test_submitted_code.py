"""Tests for lyaplearn.teacher._submitted_code: what the marker reads in a notebook's text."""

from __future__ import annotations

import pytest

from lyaplearn.teacher._submitted_code import tampering

pytestmark = pytest.mark.fp_insensitive


def _flags(src: str) -> list[str]:
    return tampering([(0, src)])


def test_an_allowed_setting_is_not_flagged_but_its_neighbours_are():
    # torch.backends settings change only the sandbox's own torch: an honest notebook may set them
    assert _flags("import torch\ntorch.backends.cudnn.benchmark = True") == []
    assert _flags("import torch as t\nt.backends.cudnn.deterministic = False") == []
    assert _flags("import torch\ntorch.manual_seed = print") == ["cell 1 replaces torch.manual_seed"]
    assert _flags("import numpy as np\nnp.linalg.norm = abs") == ["cell 1 replaces numpy.linalg.norm"]
    assert _flags("from numpy import linalg\nlinalg.norm = abs") == ["cell 1 replaces numpy.linalg.norm"]
    assert _flags("import numpy as np\nnp.random.seed(0)\nx = np.zeros(3)\nx[0] = 1") == []
