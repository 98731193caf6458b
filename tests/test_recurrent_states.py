"""Tests for lyaplearn.recurrent._states: inputs the engine cannot read (a PackedSequence, ragged
lists) are refused with what to do instead."""

from __future__ import annotations

import pytest
import torch

from lyaplearn import recurrent as R
from _helpers.engine_inputs import X, lstm

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_a_packed_sequence_is_refused_with_what_to_do_instead():
    from torch.nn.utils.rnn import pack_padded_sequence
    packed = pack_padded_sequence(X(T=6, B=2), [6, 4])
    with pytest.raises(ValueError, match="inputs must be a padded tensor, got a PackedSequence"
                                         ".*pad_packed_sequence"):
        R.lyapunov_spectrum(lstm(), packed)
    with pytest.raises(ValueError, match="inputs must be a tensor or an array of numbers, got "
                                         "list"):
        R.lyapunov_spectrum(lstm(), [[0.0, 1.0, 2.0], [0.0, 1.0]])
