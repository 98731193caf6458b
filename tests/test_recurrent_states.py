"""Tests for lyaplearn.recurrent._states: inputs the engine cannot read (a PackedSequence, ragged
lists) are refused with what to do instead, and the flat state's order and round trip."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from _helpers.engine_inputs import X, lstm
from _helpers.recurrent_reference import ref_flatten

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


def test_flatten_state_order_and_roundtrip():
    g = torch.Generator().manual_seed(0)
    h, c = torch.randn(2, 3, 4, generator=g), torch.randn(2, 3, 4, generator=g)
    flat = R.flatten_state((h, c))
    torch.testing.assert_close(flat, ref_flatten((h, c), True))
    h2, c2 = R.unflatten_state(flat, 2, lstm=True)
    assert torch.equal(h2, h) and torch.equal(c2, c)
    torch.testing.assert_close(R.flatten_state(h), ref_flatten(h, False))
    assert torch.equal(R.unflatten_state(R.flatten_state(h), 2, lstm=False), h)
    assert R.state_dim(nn.LSTM(3, 4, 2)) == 16 and R.state_dim(nn.LSTM(3, 4, 2), "hidden") == 8
