"""Train the LSTMs of Vogt et al.'s section 5 and record the spectrum every epoch (chapter 7).

Two models, as in the paper's appendix A: a character-level LSTM (one-hot
characters in, a distribution over the next character out, cross-entropy in
nats per character) and a regression LSTM (a multivariate series in, the next
step's first ``n_out`` dimensions out, mean-squared error). Both are one
``nn.LSTM`` layer **without biases**, every weight drawn from U(-p, p),
trained with Adam by truncated back-propagation through time: the training
split is cut into ``batch`` parallel streams that the network reads in windows
of ``seq_len`` steps, carrying its state from one window to the next but not
its gradient.

An *epoch* here is a fixed number of optimizer steps (``steps_per_epoch``),
not a pass over the data: that keeps runs short on a laptop and makes every
epoch cost the same. Before training and after every epoch, :func:`train_run`
records the validation loss and the Lyapunov spectrum of the LSTM driven by a
fixed probe of 10 test-set sequences, with a warm-up (the paper's
Algorithm 2), computed by :func:`lyaplearn.recurrent.lyapunov_spectrum`.
A run can be checkpointed after every epoch and resumed.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._checks import _check_int
from .lyapunov import spectrum_features
from .recurrent import init_uniform, lyapunov_spectrum

__all__ = [
    "RunConfig",
    "CharLSTM",
    "RegressionLSTM",
    "make_model",
    "Streams",
    "probe_inputs",
    "evaluate",
    "record_spectrum",
    "train_run",
    "best_val_loss",
    "FEATURES",
]

TASKS = ("char", "regression")
FEATURES = ("max", "mean", "variance")


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run (the run is a function of it).

    ``task`` is ``"char"`` or ``"regression"``. ``p`` is the initialisation
    parameter (weights U(-p, p)), ``lr`` Adam's learning rate, ``dropout``
    the dropout rate on the LSTM's outputs. From epoch ``decay_after`` on the
    learning rate is multiplied by ``decay`` after every epoch (appendix A.1:
    10 and 0.95). The spectrum uses ``probe_n`` test sequences of
    ``probe_warmup + probe_steps`` steps, ``k`` exponents (default: all) and
    the ``state`` convention (``"hidden"``: the paper's dh_t/dh_{t-1};
    ``"full"``: the (h, c) dynamical system).

    Additions to the paper's recipe that make the runs learn within a small
    budget (chapter 7, issue 28); their defaults are the paper's model:
    ``embed`` (character task: width of a learned embedding in front of the
    LSTM; 0 feeds one-hot characters as in the paper), ``clip`` (largest norm
    of the gradient, 0: no clipping), ``weight_decay`` (Adam's L2 penalty),
    ``residual`` (regression: the network predicts the *change* from the last
    frame, which is added back; its head starts at zero, so the untrained
    network predicts persistence).
    ``eval_streams`` cuts the ``eval_len`` validation steps into that many
    parallel streams (a longer, steadier validation text at the same cost).
    ``train_len`` trains on the first ``train_len`` steps of the training split
    only (0: all of it), so that a small budget still passes over its training
    text many times, as the paper's 40 epochs do, and runs can reach their best
    validation epoch before the last.
    """

    task: str = "char"
    hidden: int = 64
    p: float = 0.08
    lr: float = 2e-3
    dropout: float = 0.0
    batch: int = 32
    seq_len: int = 100
    epochs: int = 5
    steps_per_epoch: int = 20
    decay_after: int = 10
    decay: float = 0.95
    eval_len: int = 4000
    probe_n: int = 10
    probe_warmup: int = 50
    probe_steps: int = 100
    k: int | None = None
    state: str = "hidden"
    seed: int = 0
    embed: int = 0
    clip: float = 0.0
    weight_decay: float = 0.0
    residual: bool = False
    eval_streams: int = 1
    train_len: int = 0

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.state not in ("hidden", "full"):
            raise ValueError(f"state must be 'hidden' or 'full', got {self.state!r}")
        # frozen: the checked value (a numpy integer becomes an int) is stored directly
        for name in ("hidden", "batch", "seq_len", "steps_per_epoch", "eval_len", "probe_n",
                     "probe_steps", "eval_streams"):
            object.__setattr__(self, name, _check_int(getattr(self, name), name, 1))
        for name in ("epochs", "probe_warmup", "decay_after", "seed", "embed", "train_len"):
            object.__setattr__(self, name, _check_int(getattr(self, name), name, 0))
        if not (self.p > 0 and self.lr > 0 and 0 < self.decay <= 1):
            raise ValueError(f"p and lr must be positive and decay in (0, 1], got "
                             f"p={self.p!r}, lr={self.lr!r}, decay={self.decay!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not (self.clip >= 0 and self.weight_decay >= 0):
            raise ValueError(f"clip and weight_decay must be >= 0, got clip={self.clip!r}, "
                             f"weight_decay={self.weight_decay!r}")
        if self.task == "char" and self.residual:
            raise ValueError("residual applies to task='regression' only")
        if self.task == "regression" and self.embed:
            raise ValueError("embed applies to task='char' only")

    def to_dict(self) -> dict:
        return asdict(self)

    def lr_at(self, epoch: int) -> float:
        """Learning rate during epoch ``epoch`` (1-based).

        Examples
        --------
        >>> cfg = RunConfig(lr=0.01, decay_after=2, decay=0.5)
        >>> [cfg.lr_at(e) for e in (1, 2, 3, 4)]
        [0.01, 0.01, 0.005, 0.0025]
        """
        return self.lr * self.decay ** max(0, epoch - self.decay_after)


class CharLSTM(nn.Module):
    """Characters -> LSTM (no bias) -> dropout -> linear read-out of next-character logits.

    With ``embed=0`` the characters enter one-hot (the paper's model); with
    ``embed > 0`` through a learned ``embed``-wide embedding (fewer input
    weights for the LSTM, a denser input: it learns faster).
    """

    def __init__(self, n_vocab: int, hidden: int, dropout: float = 0.0, embed: int = 0):
        super().__init__()
        self.n_vocab = n_vocab
        self.n_in = embed or n_vocab
        self.emb = nn.Embedding(n_vocab, embed) if embed else None
        self.lstm = nn.LSTM(self.n_in, hidden, bias=False)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_vocab, bias=False)

    def inputs(self, codes: torch.Tensor) -> torch.Tensor:
        """(T, B) character codes -> (T, B, n_in): one-hot floats, or their embedding."""
        if self.emb is not None:
            return self.emb(codes)
        return nn.functional.one_hot(codes, self.n_vocab).to(self.head.weight.dtype)

    def forward(self, x: torch.Tensor, state=None):
        out, state = self.lstm(x, state)
        return self.head(self.drop(out)), state

    def loss(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy in nats per character."""
        return nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), target.reshape(-1))


class RegressionLSTM(nn.Module):
    """A multivariate series -> LSTM (no bias) -> dropout -> linear prediction of the next step.

    With ``residual=True`` the read-out predicts the change from the current
    step, ``x_t[:n_out] + head(h_t)``: persistence is then the network with a
    zero head, and training learns what persistence misses.
    """

    def __init__(self, n_in: int, n_out: int, hidden: int, dropout: float = 0.0,
                 residual: bool = False):
        super().__init__()
        self.n_in, self.n_out, self.residual = n_in, n_out, residual
        self.lstm = nn.LSTM(n_in, hidden, bias=False)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_out, bias=False)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.head.weight.dtype)

    def forward(self, x: torch.Tensor, state=None):
        out, state = self.lstm(x, state)
        pred = self.head(self.drop(out))
        if self.residual:
            pred = pred + x[..., : self.n_out]
        return pred, state

    def loss(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean-squared error over the ``n_out`` predicted dimensions."""
        return nn.functional.mse_loss(out, target)


def make_model(cfg: RunConfig, data) -> nn.Module:
    """The model of ``cfg.task`` for ``data`` (``TextSplits`` or ``RegressionSplits``), weights U(-p, p)."""
    if cfg.task == "char":
        model = CharLSTM(data.n_vocab, cfg.hidden, cfg.dropout, cfg.embed)
    else:
        model = RegressionLSTM(data.train.shape[1], data.n_out, cfg.hidden, cfg.dropout,
                               cfg.residual)
    model = init_uniform(model, cfg.p, seed=cfg.seed)
    if cfg.residual:
        # the read-out of a change starts at zero: the untrained network *is* persistence,
        # whatever p (a U(-p, p) head would add noise of size p to every prediction)
        with torch.no_grad():
            model.head.weight.zero_()
    if getattr(model, "emb", None) is not None:
        # the embedding is a look-up table, not a recurrent weight: N(0, 1) entries give the
        # LSTM inputs of the one-hot inputs' scale per active unit
        gen = torch.Generator().manual_seed(cfg.seed)
        with torch.no_grad():
            model.emb.weight.copy_(torch.randn(model.emb.weight.shape, generator=gen))
    return model


def _series(split: np.ndarray, task: str) -> torch.Tensor:
    return torch.as_tensor(split, dtype=torch.long if task == "char" else torch.float32)


class Streams:
    """A split cut into ``batch`` parallel streams, read in windows of ``seq_len`` (truncated BPTT).

    :meth:`next` returns ``(x, y, reset)``: inputs (seq_len, batch, ...),
    targets (the next steps) and whether the streams restarted from their
    beginning (then the carried state must be dropped). ``cursor`` is the
    position, saved in checkpoints.
    """

    def __init__(self, series: torch.Tensor, batch: int, seq_len: int, n_out: int | None = None):
        L = (len(series) - 1) // batch
        if L < seq_len:
            raise ValueError(f"the split is too short: {len(series)} steps for batch={batch} "
                             f"streams of at least seq_len={seq_len}")
        cols = series[: batch * L + 1]
        idx = torch.arange(batch)[None, :] * L + torch.arange(L + 1)[:, None]
        idx[-1] = torch.clamp(idx[-1], max=len(cols) - 1)
        self.data = cols[idx]            # (L + 1, batch, ...)
        self.L, self.seq_len, self.n_out = L, seq_len, n_out
        self.cursor = 0

    def next(self):
        """The next window ``(x, y, reset)`` of every stream."""
        reset = False
        if self.cursor + self.seq_len > self.L:
            self.cursor, reset = 0, True
        a = self.cursor
        x = self.data[a:a + self.seq_len]
        y = self.data[a + 1:a + self.seq_len + 1]
        if self.n_out is not None:
            y = y[..., : self.n_out]
        self.cursor += self.seq_len
        return x, y, reset


@torch.no_grad()
def probe_inputs(model: nn.Module, test: np.ndarray, cfg: RunConfig) -> torch.Tensor:
    """The fixed spectrum probe: ``probe_n`` test sequences, evenly spaced, (T, probe_n, n_in).

    The sequences are fixed; what the LSTM receives from them is the model's
    current input map (one-hot, or the embedding as trained so far).
    """
    T = cfg.probe_warmup + cfg.probe_steps
    n = len(test)
    if n < T:
        raise ValueError(f"the test split ({n} steps) is shorter than the probe ({T} steps)")
    starts = np.linspace(0, n - T, cfg.probe_n).round().astype(int)
    seqs = np.stack([test[s:s + T] for s in starts], axis=1)
    return model.inputs(_series(seqs, cfg.task))


@torch.no_grad()
def evaluate(model: nn.Module, split: np.ndarray, cfg: RunConfig) -> float:
    """Mean loss over the first ``eval_len`` steps of ``split`` (no dropout).

    They are read as ``eval_streams`` parallel streams of ``eval_len // eval_streams``
    steps, each from a zero state.
    """
    was = model.training
    model.eval()
    n = min(cfg.eval_len, len(split) - 1)
    L = n // cfg.eval_streams
    if L < 1:
        raise ValueError(f"eval_streams={cfg.eval_streams} exceeds the {n} steps evaluated")
    s = _series(split[: L * cfg.eval_streams + 1], cfg.task)
    idx = torch.arange(cfg.eval_streams)[None, :] * L + torch.arange(L + 1)[:, None]
    cols = s[idx]                      # (L + 1, eval_streams, ...)
    x, y = cols[:-1], cols[1:]
    if cfg.task == "regression":
        y = y[..., : model.n_out]
    out, _ = model(model.inputs(x))
    loss = float(model.loss(out, y))
    model.train(was)
    return loss


def record_spectrum(model: nn.Module, probe: torch.Tensor, cfg: RunConfig, *,
                    state: str | None = None) -> tuple[np.ndarray, dict, float]:
    """Spectrum of ``model.lstm`` on the probe: (batch-mean spectrum, mean features, seconds)."""
    t0 = time.perf_counter()
    res = lyapunov_spectrum(model.lstm, probe, k=cfg.k, warmup=cfg.probe_warmup,
                            state=state or cfg.state, dtype=torch.float64)
    sec = time.perf_counter() - t0
    lam = res.numpy()
    feats = {key: float(np.mean(v)) for key, v in spectrum_features(lam).items()}
    return lam.mean(axis=0), feats, sec


def _record(epoch, model, data, cfg, train_loss, train_seconds) -> dict:
    # the probe goes through the model's input map as it is now (a trained embedding moves it)
    spec, feats, sec = record_spectrum(model, probe_inputs(model, data.test, cfg), cfg)
    return {"epoch": epoch, "train_loss": train_loss, "val_loss": evaluate(model, data.val, cfg),
            "spectrum": [float(v) for v in spec], "features": feats,
            "train_seconds": train_seconds, "spectrum_seconds": sec}


def _save(path: Path, obj: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_run(cfg: RunConfig, data, *, checkpoint: str | os.PathLike | None = None,
              stop_after: int | None = None, progress: bool = False,
              callback=None) -> dict:
    """Train one run, recording validation loss and spectrum before training and after every epoch.

    Parameters
    ----------
    cfg
        The run's :class:`RunConfig`.
    data
        ``TextSplits`` for ``task="char"``, ``RegressionSplits`` for ``"regression"``.
    checkpoint
        File to save the run's state to after every epoch; if it exists and
        holds the same configuration, training resumes from it.
    stop_after
        Stop after this many epochs in total (to interrupt a run on purpose).
    progress
        Show a tqdm progress bar over epochs.
    callback
        ``callback(record)`` after every epoch's record; returning ``True`` stops
        the run there (an early-stopping rule, e.g. a pruner).

    Returns
    -------
    dict
        ``{"config": cfg.to_dict(), "records": [...], "complete": bool}``; each
        record has ``epoch``, ``train_loss``, ``val_loss``, ``spectrum`` (batch
        mean, descending, nats per step), ``features`` (mean over the probe of
        each sequence's max/mean/variance), cumulative ``train_seconds`` and the
        record's ``spectrum_seconds``.
    """
    task_ok = hasattr(data, "vocab") if cfg.task == "char" else hasattr(data, "n_out")
    if not task_ok:
        raise ValueError(f"data does not match task={cfg.task!r} (TextSplits for 'char', "
                         "RegressionSplits for 'regression')")
    torch.manual_seed(cfg.seed)
    model = make_model(cfg, data)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n_out = None if cfg.task == "char" else data.n_out
    train = data.train[: cfg.train_len] if cfg.train_len else data.train
    streams = Streams(_series(train, cfg.task), cfg.batch, cfg.seq_len, n_out)
    probe_inputs(model, data.test, cfg)   # fail early if the test split is too short
    ckpt = Path(checkpoint) if checkpoint is not None else None
    carry = None
    records: list[dict] = []
    if ckpt is not None and ckpt.is_file():
        saved = torch.load(ckpt, weights_only=False)
        if saved["config"] == cfg.to_dict():
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["opt"])
            streams.cursor = saved["cursor"]
            carry = saved["carry"]
            records = saved["records"]
            torch.set_rng_state(saved["rng"])
    if not records:
        records.append(_record(0, model, data, cfg, math.nan, 0.0))
    last = cfg.epochs if stop_after is None else min(cfg.epochs, stop_after)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=cfg.epochs, initial=len(records) - 1, desc=f"{cfg.task} run", leave=False)
    stopped = False
    model.train()
    for epoch in range(len(records), last + 1):
        for g in opt.param_groups:
            g["lr"] = cfg.lr_at(epoch)
        t0 = time.perf_counter()
        total = 0.0
        for _ in range(cfg.steps_per_epoch):
            x, y, reset = streams.next()
            if reset:
                carry = None
            out, carry = model(model.inputs(x), carry)
            loss = model.loss(out, y)
            opt.zero_grad()
            loss.backward()
            if cfg.clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            carry = tuple(c.detach() for c in carry)
            total += loss.item()
        elapsed = records[-1]["train_seconds"] + time.perf_counter() - t0
        rec = _record(epoch, model, data, cfg, total / cfg.steps_per_epoch, elapsed)
        records.append(rec)
        if ckpt is not None:
            _save(ckpt, {"config": cfg.to_dict(), "model": model.state_dict(),
                         "opt": opt.state_dict(), "cursor": streams.cursor, "carry": carry,
                         "records": records, "rng": torch.get_rng_state()})
        if bar is not None:
            bar.update(1)
            bar.set_postfix(val=f"{rec['val_loss']:.3f}", lmax=f"{rec['features']['max']:.3f}")
        if callback is not None and callback(rec):
            stopped = True
            break
    if bar is not None:
        bar.close()
    complete = not stopped and len(records) == cfg.epochs + 1
    return {"config": cfg.to_dict(), "records": records, "complete": complete}


def best_val_loss(run: dict) -> float:
    """Lowest validation loss over the trained epochs (the paper keeps the best epoch)."""
    vals = [r["val_loss"] for r in run["records"][1:]]
    return float(min(vals)) if vals else float(run["records"][0]["val_loss"])
