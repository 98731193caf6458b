"""Reference solutions of chapter 7, against closed forms."""

import math

import numpy as np
import pytest

from lyaplearn.solutions import ch07

pytestmark = pytest.mark.fp_sensitive


def test_bigram_loss_closed_forms():
    periodic = np.tile(np.arange(4), 50)
    # each character determines the next; 0, 1, 2 are followed 50 times, 3 only 49
    # times (the last character has no successor); smoothing gives (n + a) / (n + 4a)
    a = 0.5
    val = np.tile(np.arange(4), 10)                # 39 pairs: 30 from 0, 1, 2 and 9 from 3
    expected = -(30 * math.log((50 + a) / (50 + 4 * a))
                 + 9 * math.log((49 + a) / (49 + 4 * a))) / 39
    assert ch07.bigram_loss(periodic, val, 4, alpha=a) == pytest.approx(expected)
    # nothing seen in training: every pair has probability 1/n
    assert ch07.bigram_loss(np.array([0]), val, 4) == pytest.approx(math.log(4))
    with pytest.raises(ValueError, match="alpha"):
        ch07.bigram_loss(periodic, val, 4, alpha=0)


def test_power_law_exponent():
    t = np.arange(1, 20)
    assert ch07.power_law_exponent(t, 3.0 * t ** -1.5) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        ch07.power_law_exponent(t, -t)


def test_kendall_tau_closed_forms():
    x = np.arange(6.0)
    assert ch07.kendall_tau(x, 2 * x) == 1.0
    assert ch07.kendall_tau(x, -x) == -1.0
    # one swapped neighbour pair out of 15 pairs: (14 - 1) / 15
    assert ch07.kendall_tau(x, [0, 2, 1, 3, 4, 5]) == pytest.approx(13 / 15)


def test_successive_halving_with_a_perfect_and_a_useless_score():
    final = np.array([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0])
    perfect = np.repeat(final[:, None], 5, axis=1)
    best, spent = ch07.successive_halving(perfect, final, eta=2, rungs=(1, 2))
    assert best == 1
    assert spent == 8 * 1 + 4 * 1 + 2 * (4 - 2)
    backwards = -perfect
    best, _ = ch07.successive_halving(backwards, final, eta=2, rungs=(1, 2))
    assert best == 6                     # kept only the two worst runs (finals 7 and 8)
    with pytest.raises(ValueError, match="rungs"):
        ch07.successive_halving(perfect, final, rungs=(2, 1))
