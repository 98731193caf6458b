"""The PyTorch Lightning callback, on a tiny LSTM trained on the CPU."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")

from lyaplearn import recurrent as R  # noqa: E402
from lyaplearn.lightning import LyapunovCallback, find_recurrent  # noqa: E402
from _helpers.lightning_model import TinyLM, tiny_loader as _data  # noqa: E402

torch.set_num_threads(1)
pytestmark = [pytest.mark.fp_sensitive,
              pytest.mark.filterwarnings("ignore:`isinstance\\(treespec, LeafSpec\\)`")]


def test_callback_logs_features_every_n_epochs(tmp_path):
    probe = torch.randn(5, 30, 3, generator=torch.Generator().manual_seed(2))
    cb = LyapunovCallback(probe, every_n_epochs=2, warmup=5)
    model = TinyLM()
    trainer = pl.Trainer(max_epochs=3, accelerator="cpu", devices=1, callbacks=[cb],
                         logger=pl.loggers.CSVLogger(tmp_path, name="run"),
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, log_every_n_steps=1)
    trainer.fit(model, _data())
    assert [e for e, _ in cb.records] == [0, 2]
    # the last record (end of epoch 2) is the spectrum of the trained model
    ref = R.lyapunov_spectrum(model.lstm, probe, warmup=5).numpy().mean(0)
    np.testing.assert_allclose(cb.records[-1][1].mean, ref, rtol=0, atol=1e-6)
    # logged through the trainer's logger: read back what the CSV logger wrote
    with open(trainer.logger.log_dir + "/metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get("lyapunov/lambda_max")]
    assert [int(r["epoch"]) for r in rows] == [0, 2]
    last = rows[-1]
    assert float(last["lyapunov/lambda_max"]) == pytest.approx(ref.max(), abs=1e-5)
    assert float(last["lyapunov/mean"]) == pytest.approx(ref.mean(), abs=1e-5)
    # Kaplan-Yorke by hand: j leading partial sums >= 0, then the fraction
    lam = np.sort(ref)[::-1]
    csum = np.cumsum(lam)
    j = int((csum >= 0).sum())
    dky = 0.0 if j == 0 else (float(j) if j == lam.size else j + csum[j - 1] / abs(lam[j]))
    assert float(last["lyapunov/kaplan_yorke"]) == pytest.approx(dky, abs=1e-5)
    assert math.isfinite(float(rows[0]["lyapunov/lambda_max"]))


def test_find_recurrent_and_bad_arguments():
    model = TinyLM()
    assert find_recurrent(model) is model.lstm
    assert find_recurrent(model, "lstm") is model.lstm
    assert find_recurrent(model, model.lstm) is model.lstm
    with pytest.raises(ValueError, match="must name a torch.nn.RNN, GRU or LSTM, got Linear"):
        find_recurrent(model, "head")
    with pytest.raises(ValueError, match="has no submodule 'decoder'"):
        find_recurrent(model, "decoder")
    with pytest.raises(ValueError, match="contains no torch.nn.RNN, GRU or LSTM"):
        find_recurrent(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="every_n_epochs must be a positive integer"):
        LyapunovCallback(torch.zeros(2, 3, 3), every_n_epochs=0)
    # numpy integers count as integers, as everywhere in the library; a bool does not
    assert LyapunovCallback(torch.zeros(2, 3, 3), every_n_epochs=np.int64(3)).every_n_epochs == 3
    with pytest.raises(ValueError, match="every_n_epochs must be a positive integer"):
        LyapunovCallback(torch.zeros(2, 3, 3), every_n_epochs=True)
    with pytest.raises(ValueError, match="probe must be a tensor"):
        LyapunovCallback([[0.0]])
