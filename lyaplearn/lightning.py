"""Lyapunov spectra inside a PyTorch Lightning training run.

:class:`LyapunovCallback` computes the spectrum of the model's recurrent
module every ``every_n_epochs`` training epochs on a fixed probe batch, with
:func:`lyaplearn.recurrent.lyapunov_spectrum`, and logs three features of the
batch-mean spectrum through the trainer's logger (TensorBoard, CSV, W&B, ...):

``<prefix>/lambda_max``
    the largest exponent (nats per step): above 0 the dynamics is chaotic
    and gradients through time explode along some direction;
``<prefix>/mean``
    the mean exponent, the rate at which volumes contract per dimension;
``<prefix>/kaplan_yorke``
    the Kaplan–Yorke dimension (meaningful when ``k`` covers every exponent
    whose partial sum is non-negative; the full spectrum by default).

Lightning is an optional dependency: ``pip install "lyaplearn[lightning]"``.
The callback works with ``lightning`` (``lightning.pytorch``) or the older
``pytorch_lightning`` package, whichever is installed.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from . import recurrent
from ._checks import _check_int
from .lyapunov import kaplan_yorke_dimension

try:  # the unified package first, then the standalone one
    from lightning.pytorch.callbacks import Callback
except ImportError:  # pragma: no cover - depends on what is installed
    try:
        from pytorch_lightning.callbacks import Callback
    except ImportError as exc:  # pragma: no cover
        raise ImportError("lyaplearn.lightning needs PyTorch Lightning: "
                          'pip install "lyaplearn[lightning]"') from exc

__all__ = ["LyapunovCallback", "find_recurrent"]

_RECURRENT = (nn.RNN, nn.GRU, nn.LSTM)


def find_recurrent(module: nn.Module, rnn: Any = None) -> nn.Module:
    """The ``nn.RNN``/``GRU``/``LSTM`` to analyse inside ``module``.

    ``rnn`` is ``None`` (the first such submodule, in ``named_modules`` order),
    an attribute path such as ``"encoder.lstm"``, or the module itself.

    Examples
    --------
    >>> from torch import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.encoder = nn.GRU(3, 8)
    ...         self.head = nn.Linear(8, 3)
    >>> net = Net()
    >>> find_recurrent(net) is net.encoder
    True
    >>> find_recurrent(net, "encoder").hidden_size
    8
    """
    if isinstance(rnn, nn.Module):
        found = rnn
    elif isinstance(rnn, str):
        found = module
        for part in rnn.split("."):
            if not hasattr(found, part):
                raise ValueError(f"rnn={rnn!r}: {type(module).__name__} has no submodule "
                                 f"{rnn!r}")
            found = getattr(found, part)
    elif rnn is None:
        found = next((m for m in module.modules() if isinstance(m, _RECURRENT)), None)
        if found is None:
            raise ValueError(f"{type(module).__name__} contains no torch.nn.RNN, GRU or LSTM; "
                             "pass rnn= to name the recurrent module")
    else:
        raise ValueError(f"rnn must be None, an attribute path or a module, got "
                         f"{type(rnn).__name__}")
    if not isinstance(found, _RECURRENT):
        raise ValueError(f"rnn must name a torch.nn.RNN, GRU or LSTM, got {type(found).__name__}")
    return found


class LyapunovCallback(Callback):
    """Record the Lyapunov spectrum every ``every_n_epochs`` epochs and log its features.

    Parameters
    ----------
    probe
        Fixed input sequences, as the recurrent module takes them
        ((T, B, I), or (B, T, I) if it is ``batch_first``). Moved to the
        module's device when used; the same probe every time, so records are
        comparable across epochs.
    every_n_epochs
        Compute at the end of training epochs 0, n, 2n, ... (0-based).
    rnn
        Which recurrent module of the ``LightningModule``: ``None`` for the
        first ``nn.RNN``/``GRU``/``LSTM`` found, an attribute path
        (``"encoder.lstm"``) or the module.
    prefix
        Prefix of the logged metric names.
    spectrum_kwargs
        Passed to :func:`lyaplearn.recurrent.lyapunov_spectrum` (``k``,
        ``warmup``, ``frame_warmup``, ``reortho_every``, ``state``, ``qr``,
        ``dtype``, ...).

    Attributes
    ----------
    records
        List of ``(epoch, SpectrumResult)``.
    """

    def __init__(self, probe: torch.Tensor, *, every_n_epochs: int = 1, rnn: Any = None,
                 prefix: str = "lyapunov", **spectrum_kwargs: Any):
        super().__init__()
        if not isinstance(probe, torch.Tensor):
            raise ValueError(f"probe must be a tensor of input sequences, got "
                             f"{type(probe).__name__}")
        every_n_epochs = _check_int(every_n_epochs, "every_n_epochs", 1)
        if not isinstance(prefix, str) or not prefix:
            raise ValueError(f"prefix must be a non-empty string, got {prefix!r}")
        self.probe = probe.detach()
        self.every_n_epochs = every_n_epochs
        self.rnn = rnn
        self.prefix = prefix
        self.kwargs = spectrum_kwargs
        self.records: list[tuple[int, recurrent.SpectrumResult]] = []

    def features(self, result: recurrent.SpectrumResult) -> dict[str, float]:
        """λ_max, mean exponent and Kaplan–Yorke dimension of the batch-mean spectrum."""
        mean = result.mean
        return {f"{self.prefix}/lambda_max": float(mean.max()),
                f"{self.prefix}/mean": float(mean.mean()),
                f"{self.prefix}/kaplan_yorke": float(kaplan_yorke_dimension(mean))}

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        epoch = trainer.current_epoch
        if epoch % self.every_n_epochs:
            return
        rnn = find_recurrent(pl_module, self.rnn)
        probe = self.probe.to(rnn.weight_hh_l0.device)
        res = recurrent.lyapunov_spectrum(rnn, probe, **self.kwargs)
        self.records.append((epoch, res))
        for name, value in self.features(res).items():   # -inf (dead units) is logged as is
            pl_module.log(name, value, on_step=False, on_epoch=True)
