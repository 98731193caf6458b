"""A tiny Lightning model and its data, shared by tests/test_lightning.py and tests/test_cuda.py.

Importing this module imports ``lightning.pytorch``: import it after
``pytest.importorskip("lightning.pytorch")``.
"""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch import nn


class TinyLM(pl.LightningModule):
    """A seeded one-layer LSTM (3 inputs, 4 units) with a linear head over 3 classes."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.head = nn.Linear(4, 3)

    def training_step(self, batch, _):
        x, y = batch
        out, _ = self.lstm(x)
        return nn.functional.cross_entropy(self.head(out).reshape(-1, 3), y.reshape(-1))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=0.05)


def tiny_loader():
    """Eight seeded sequences of 12 steps (3 features, 3 classes), in batches of 4."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 12, 3, generator=g)
    y = torch.randint(0, 3, (8, 12), generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4)
