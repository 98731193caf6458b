"""One LSTM step written out by hand, and its hidden-state Jacobian (the cell state held fixed)
as in Vogt et al. (2022): the independent reference of tests/test_recurrent_conventions.py (the
paper's Algorithm 2) and tests/test_recurrent_published.py (the loop of the paper's code)."""

from __future__ import annotations

import torch


def lstm_hidden_step(W_ih, W_hh, b, h, c, x):
    """One LSTM step (torch's gate order i, f, g, o) on unbatched tensors."""
    i, f, g, o = (W_ih @ x + W_hh @ h + b).split(h.shape[0])
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new


def lstm_hidden_jacobian(W_ih, W_hh, b, h, c, x):
    """dh'/dh with c held fixed, by reverse-mode autograd (the paper's hidden-state Jacobian)."""
    return torch.autograd.functional.jacobian(
        lambda hh: lstm_hidden_step(W_ih, W_hh, b, hh, c, x)[0], h)
