"""Reference solutions to chapter 7's exercises (the spectrum as a readout)."""

from __future__ import annotations

import numpy as np

__all__ = ["bigram_loss", "power_law_exponent", "kendall_tau", "successive_halving"]


def bigram_loss(train, val, n_vocab: int, alpha: float = 1.0) -> float:
    """Cross-entropy, nats per character, on ``val`` of a bigram counted on ``train``.

    P(b | a) = (count(a, b) + alpha) / (count(a) + alpha * n_vocab): add-alpha
    smoothing, so unseen pairs keep a small probability.
    """
    train, val = np.asarray(train), np.asarray(val)
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha!r}")
    counts = np.zeros((n_vocab, n_vocab))
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    probs = (counts + alpha) / (counts.sum(1, keepdims=True) + alpha * n_vocab)
    return float(-np.log(probs[val[:-1], val[1:]]).mean())


def power_law_exponent(t, y) -> float:
    """Exponent ``a`` of the least-squares fit y ~ C t^(-a) on log-log axes."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    if t.shape != y.shape or len(t) < 2 or (t <= 0).any() or (y <= 0).any():
        raise ValueError("t and y must be positive arrays of the same length >= 2")
    slope, _ = np.polyfit(np.log(t), np.log(y), 1)
    return float(-slope)


def kendall_tau(x, y) -> float:
    """Kendall's tau-a: (concordant - discordant pairs) / all pairs."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError("x and y must be 1-D arrays of the same length >= 2")
    i, j = np.triu_indices(len(x), 1)
    s = np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])
    return float(s.sum() / len(s))


def successive_halving(scores, final, *, eta: int = 2, rungs=(1, 2)) -> tuple[int, int]:
    """Successive halving over several rungs, replayed on recorded curves.

    ``scores`` is (n_runs, n_epochs + 1): the score of each run after each
    epoch (lower is better); ``final`` (n_runs,) the loss at the end. At each
    rung the best 1/eta of the surviving runs go on; the survivors of the last
    rung train to ``n_epochs``. Returns ``(index of the best run found,
    epochs spent)``.
    """
    scores, final = np.asarray(scores, float), np.asarray(final, float)
    E = scores.shape[1] - 1
    if list(rungs) != sorted(rungs) or not all(1 <= r < E for r in rungs):
        raise ValueError(f"rungs must increase within [1, {E - 1}], got {rungs!r}")
    alive = np.arange(len(final))
    spent, last = 0, 0
    for r in rungs:
        spent += len(alive) * (r - last)
        last = r
        n_keep = max(1, len(alive) // eta)
        alive = alive[np.argsort(scores[alive, r], kind="stable")[:n_keep]]
    spent += len(alive) * (E - last)
    return int(alive[np.argmin(final[alive])]), spent
