"""The numbers typed into the exercise solutions, each recomputed here.

A solution's numbers are worked out by hand from the exercise's data (``0.75^{10} \\approx
0.056``), so they are not glued; this test recomputes every one independently of the text and
of the library, and checks that the text shows it to the digits it claims. It also fails
when a solution gains a decimal number that is neither

* recomputed in ``CHECKED`` below,
* given in the exercise statement (the problem's data), nor
* visible in a code cell of the chapter (a setting of the chapter's experiments),

so a new hand-typed number cannot slip in unchecked. Glued numbers, inline code and
``literalinclude`` blocks are not scanned.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.fp_insensitive

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]
NOTEBOOKS = {p.stem[:2]: p for p in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))}
DECIMAL = re.compile(r"(?<![\w.\\{^_])[-−+]?(\d+\.\d+)(?![\w.])")


def _sigmoid_fixed_point_slope() -> float:
    z = 0.5
    for _ in range(200):
        z = 1 / (1 + math.exp(-z))
    return z * (1 - z)


def _tanh_tower_depth() -> float:
    """Depth at which a tanh tower's gradient (x = 1, w = 0.5) falls to 2**-52: A L^{-3/2} law."""
    z, log_grad = 0.5, 0.0
    for _ in range(200_000):
        z = math.tanh(z)
        log_grad += math.log1p(-z * z)
    amplitude = log_grad + 1.5 * math.log(200_000)
    return math.exp((amplitude + 52 * math.log(2)) / 1.5)


def _ky(spectrum) -> float:
    s = np.cumsum(spectrum)
    j = int(np.max(np.nonzero(s >= 0)[0])) + 1
    return j + s[j - 1] / abs(spectrum[j])


_A = np.linspace(-40.0, 40.0, 80_001)   # pre-activation grid; sech^2 < 1e-33 beyond it


def _sech_moment(power: int, delta: float) -> float:
    """``E[sech(a)^power]`` for ``a ~ N(0, delta)``, by the trapezoid rule over ``a``."""
    density = np.exp(-_A ** 2 / (2 * delta)) / math.sqrt(2 * math.pi * delta)
    f = np.cosh(_A) ** -power * density
    return float((_A[1] - _A[0]) * (f.sum() - 0.5 * (f[0] + f[-1])))


def _rnn_delta(g: float, sigma: float) -> float:
    """Stationary pre-activation variance of a random tanh RNN: ``g^2 E[tanh^2] + sigma^2``."""
    delta = g * g + sigma * sigma
    for _ in range(1000):
        new = g * g * (1 - _sech_moment(2, delta)) + sigma * sigma
        if abs(new - delta) < 1e-13 * delta:
            break
        delta = new
    return new


def _jensen_coefficient(g: float) -> float:
    """``c = r / 4``, ``r = 3 E[tanh'^4] / E[tanh'^2]^2 - 1`` at the RNN's fixed point, no input."""
    delta = _rnn_delta(g, 0.0)
    return (3 * _sech_moment(8, delta) / _sech_moment(4, delta) ** 2 - 1) / 4


def _rnn_critical_gain(sigma: float) -> float:
    """Edge of chaos with input: on it ``g^2 = 1 / E[sech^4]``, and ``Delta`` solves
    ``Delta - E[tanh^2] / E[sech^4] = sigma^2`` (bisection in ``Delta``)."""
    lo, hi = sigma ** 2, 10 * sigma ** 2 + 100
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        excess = mid - (1 - _sech_moment(2, mid)) / _sech_moment(4, mid) - sigma ** 2
        lo, hi = (mid, hi) if excess < 0 else (lo, mid)
    return 1 / math.sqrt(_sech_moment(4, 0.5 * (lo + hi)))


def _wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's score interval written out from its closed form (Wilson 1927)."""
    p, z2 = successes / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def _normal_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = successes / n
    half = z * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


# (chapter, solution label) -> {number as typed: value recomputed here}
CHECKED = {
    ("01", "ex-ch1-multiplier"): {"0.216": 0.6 ** 3, "2.744": 1.4 ** 3, "1.4": abs(1 - 4 * 0.6)},
    ("01", "ex-ch1-ceiling"): {"9.97": 6 / math.log10(4)},
    ("01", "ex-ch1-steps"): {"0.4": 1 / 2.5},
    ("01", "ex-ch1-vanishing-depth"): {"0.225": _sigmoid_fixed_point_slope(), "0.25": 1 / 4,
                                       "1.6": _tanh_tower_depth() / 1e11},
    ("01", "ex-ch1-two-curvatures"): {"0.980": 99 / 101,
                                      "690.8": math.log(1e-6) / math.log(99 / 101)},
    ("02", "ex-ch2-identity"): {"19.93": 6 * math.log(10) / math.log(2)},
    ("02", "ex-ch2-sigmoid"): {"0.75": 3 / 4, "0.056": 0.75 ** 10},
    ("02", "ex-ch2-saturation"): {"0.881": math.acosh(math.sqrt(2))},
    ("03", "ex-ch3-shear"): {"10.9": ((3 + math.sqrt(13)) / 2) ** 2},
    ("03", "ex-ch3-typical"): {"0.016": 1 / 64},
    ("04", "ex-ch4-jordan"): {"3.87": 9 * 0.9 ** 8},
    ("05", "ex-ch5-reading"): {"1.258": _ky(np.array([0.41922, -1.62319])), "0.419": 0.41922,
                               "2.062": _ky(np.array([0.9056, 0.0, -14.5723])), "0.906": 0.9056},
    ("05", "ex-ch5-reortho"): {"36.0": -math.log(np.finfo(np.float64).eps)},
    ("05", "ex-ch5-horizon"): {"0.023": math.log(10) / 100},
    ("06", "ex-ch6-convention"): {"0.035": 0.05 * math.log(2)},
    ("06", "ex-ch6-reortho"): {"2.2": np.finfo(np.float64).eps * 1e16},
    ("08", "ex-ch8-horizon"): {"13.3": math.log(1e4) / math.log(2)},
    ("09", "ex-ch9-erf"): {"0.886": math.sqrt(math.pi) / 2},
    ("09", "ex-ch9-jensen"): {"1.3": _jensen_coefficient(2.0), "2.3": _jensen_coefficient(3.0)},
    ("09", "ex-ch9-input"): {
        "1.09": _rnn_critical_gain(5.0) / ((9 * math.pi / 8) ** 0.25 * math.sqrt(5.0)),
        "1.01": _rnn_critical_gain(50.0) / ((9 * math.pi / 8) ** 0.25 * math.sqrt(50.0))},
    ("09", "ex-ch9-gate"): {"2.13": math.log1p(math.exp(2.0)),     # -ln sigma(-2)
                            "0.13": math.log1p(math.exp(-2.0)),    # -ln sigma(2)
                            "0.88": 1 / (1 + math.exp(-2.0))},     # sigma(2)
    ("10", "ex-ch10-wilson"): {"0.72": _wilson(10, 10)[0],
                               "0.19": _normal_interval(5, 10)[0],
                               "0.81": _normal_interval(5, 10)[1],
                               "0.24": _wilson(5, 10)[0], "0.76": _wilson(5, 10)[1],
                               # n/(n + z^2) > 0.9  <=>  n > 9 z^2
                               "34.6": 9 * 1.96 ** 2},
    ("10", "ex-ch10-parity"): {"0.72": _wilson(10, 10)[0], "0.28": _wilson(0, 10)[1]},
}


def _markdown_and_code(chapter: str) -> tuple[str, str]:
    nb = json.loads(NOTEBOOKS[chapter].read_text(encoding="utf-8"))
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return md, code


def _block(md: str, kind: str, label: str) -> str:
    if kind == "solution":
        pattern = r"^(`{3,4})\{solution\} " + re.escape(label) + r"\b.*?^\1[ \t]*$"
    else:
        pattern = r"^(`{3,4})\{exercise\}[^\n]*\n:label: " + re.escape(label) + r"\n.*?^\1[ \t]*$"
    m = re.search(pattern, md, re.S | re.M)
    return m.group(0) if m else ""


def _scanned(text: str) -> str:
    text = re.sub(r"^(`{3})\{literalinclude\}.*?^\1[ \t]*$", " ", text, flags=re.S | re.M)
    text = re.sub(r"^(`{3})python.*?^\1[ \t]*$", " ", text, flags=re.S | re.M)
    text = re.sub(r"\{[a-z:]+\}`[^`]*`", " ", text)
    return re.sub(r"`[^`\n]*`", " ", text)


@pytest.mark.parametrize("key", sorted(CHECKED), ids=lambda k: k[1])
def test_typed_solution_numbers_are_right(key):
    chapter, label = key
    md, _ = _markdown_and_code(chapter)
    text = _scanned(_block(md, "solution", label))
    assert text, f"no solution {label} in chapter {chapter}"
    for typed, value in CHECKED[key].items():
        assert typed in DECIMAL.findall(text), f"{label}: {typed} no longer in the solution"
        decimals = len(typed.split(".")[1])
        assert f"{value:.{decimals}f}" == typed, f"{label}: typed {typed}, recomputed {value!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_solution_number_is_checked(chapter):
    md, code = _markdown_and_code(chapter)
    labels = re.findall(r"^`{3,4}\{solution\} (\S+)", md, re.M)
    unchecked = []
    for label in labels:
        data = set(re.findall(r"\d+\.\d+", _scanned(_block(md, "exercise", label))))
        checked = set(CHECKED.get((chapter, label), {}))
        for number in DECIMAL.findall(_scanned(_block(md, "solution", label))):
            if number in data or number in checked:
                continue
            if re.search(r"(?<![\d.])" + re.escape(number) + r"(?![\d])", code):
                continue
            unchecked.append(f"{label}: {number}")
    assert not unchecked, f"chapter {chapter}: solution numbers nobody recomputes: {unchecked}"
