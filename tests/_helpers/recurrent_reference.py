"""The float64 reference for the engine's tests: autograd Jacobians of a module's own step.

Shared by the engine's tests (tests/test_recurrent_*.py) and tests/test_cuda.py. Every Jacobian is
``torch.autograd.functional.jacobian`` of the *module's own* forward pass (one step, whole state),
and :func:`reference_spectrum` is a plain QR loop in numpy over those Jacobians: nothing here
calls lyaplearn, so the engine is checked against an independent computation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def make(arch, *, I=3, H=4, L=1, bias=True, batch_first=False, seed=0, scale=None,
         dtype=torch.float64):
    """A seeded ``nn.RNN`` (``"rnn_tanh"``, ``"rnn_relu"``), ``nn.GRU`` or ``nn.LSTM``; ``scale``
    redraws every parameter uniformly from ``[-scale, scale]``."""
    torch.manual_seed(seed)
    kw = dict(input_size=I, hidden_size=H, num_layers=L, bias=bias, batch_first=batch_first)
    if arch == "lstm":
        m = nn.LSTM(**kw)
    elif arch == "gru":
        m = nn.GRU(**kw)
    else:
        m = nn.RNN(nonlinearity=arch.split("_")[1], **kw)
    m = m.to(dtype)
    if scale is not None:
        with torch.no_grad():
            for p in m.parameters():
                p.uniform_(-scale, scale)
    return m


# --- reference: the module's own forward over the full state ----------------------------

def ref_flatten(state, lstm):
    """(L, B, H) or (h, c) -> (B, D) ordered (h1, c1, h2, c2, ...)."""
    if lstm:
        h, c = state
        L = h.shape[0]
        return torch.cat([torch.cat([h[l], c[l]], -1) for l in range(L)], -1)
    return torch.cat(list(state), -1)


def ref_unflatten(flat, L, H, lstm):
    if lstm:
        hs = [flat[:, 2 * l * H:(2 * l + 1) * H] for l in range(L)]
        cs = [flat[:, (2 * l + 1) * H:(2 * l + 2) * H] for l in range(L)]
        return torch.stack(hs), torch.stack(cs)
    return torch.stack([flat[:, l * H:(l + 1) * H] for l in range(L)])


def module_step(m, x_t, flat, lstm):
    """One step of the module itself on a flat state (B, D)."""
    L, H = m.num_layers, m.hidden_size
    st = ref_unflatten(flat, L, H, lstm)
    x = x_t.unsqueeze(1) if m.batch_first else x_t.unsqueeze(0)
    _, new = m(x, st)
    return ref_flatten(new, lstm)


def autograd_jac(m, x_t, flat, lstm, hidden_only=False):
    """(B, D, D) Jacobian of one module step by reverse-mode autograd."""
    B = flat.shape[0]
    L, H = m.num_layers, m.hidden_size
    if hidden_only:
        h, c = ref_unflatten(flat, L, H, True)

        def f(hf):
            hh = torch.stack([hf[:, l * H:(l + 1) * H] for l in range(L)])
            x = x_t.unsqueeze(1) if m.batch_first else x_t.unsqueeze(0)
            _, (hn, _) = m(x, (hh, c))
            return torch.cat(list(hn), -1)
        z = torch.cat(list(h), -1)
    else:
        def f(s):
            return module_step(m, x_t, s, lstm)
        z = flat
    J = torch.autograd.functional.jacobian(f, z)          # (B, D, B, D)
    return torch.stack([J[b, :, b, :] for b in range(B)])


def reference_spectrum(m, X, Q0, hidden_only=False):
    """Plain float64 QR loop over autograd Jacobians; X time-major (T, B, I)."""
    lstm = isinstance(m, nn.LSTM)
    T, B, _ = X.shape
    L, H = m.num_layers, m.hidden_size
    D = (2 if lstm else 1) * L * H
    flat = torch.zeros(B, D, dtype=torch.float64)
    Q = np.repeat(Q0.numpy()[None], B, 0)
    gam = np.zeros((B, Q0.shape[1]))
    logdet = np.zeros(B)
    for t in range(T):
        J = autograd_jac(m, X[t], flat, lstm, hidden_only).numpy()
        with torch.no_grad():
            flat = module_step(m, X[t], flat, lstm)
        for b in range(B):
            q, r = np.linalg.qr(J[b] @ Q[b])
            Q[b] = q
            gam[b] += np.log(np.abs(np.diag(r)))
            logdet[b] += np.linalg.slogdet(J[b])[1]
    return gam / T, logdet / T


def random_frame(D, k, seed=3):
    """A fixed orthonormal ``(D, k)`` frame (float64) from a seeded Gaussian matrix."""
    g = torch.Generator().manual_seed(seed)
    return torch.linalg.qr(torch.randn(D, k, generator=g, dtype=torch.float64))[0]
