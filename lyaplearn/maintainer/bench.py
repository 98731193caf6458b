"""Benchmark of :func:`lyaplearn.recurrent.lyapunov_spectrum`.

Run ``python -m lyaplearn.maintainer.bench`` (full CPU grid), ``python -m lyaplearn.maintainer.bench --quick``,
or ``python -m lyaplearn.maintainer.bench --device cuda`` (the GPU grid: the settings of the paper
and of the GPU issue, T = 100). Every case is timed side by side in one run against

floor (Householder)
    the tangent-space work alone on random matrices of the same sizes: the
    same number of batched (D x D)(D x k) products and of Householder QRs of
    (D x k) frames, with nothing else (LAPACK/cuSOLVER ``geqrf`` on the
    column-major frame, then ``householder_product``, the engine's
    ``qr="householder"``), so ``ours/HH`` measures the engine's own overhead
    when it uses Householder; ``torch.linalg.qr`` would make it 5-10% slower;
floor (Cholesky)
    the same products with the engine's CholeskyQR2 (``qr="cholesky"``,
    fallback check included): what "auto" weighs against Householder;
floor (matmul)
    the products alone, no QR: no QR method can beat it;
training step
    one optimizer step (forward, backward, Adam) of the same module with a
    linear read-out on a batch of ``train_batch`` sequences of the same
    length; ``LE/train`` is the whole spectrum's time in training steps;
jacrev
    a plain ``torch.func`` implementation: per step the (B, D, D) Jacobian by
    ``vmap(jacrev(step))``, then ``J @ Q`` and the QR (CPU grid only).

Times are per time step (best of ``repeats``); the ratios are what to read.
The jacrev baseline is timed on fewer steps when it is slow (per-step times
are comparable because every step does the same work). The engine runs with
``qr="auto"`` (Householder on the CPU, CholeskyQR2 in float64 on a GPU with fast
float64) unless ``--qr`` says otherwise; ``fallbk`` is the share of the engine's
frames that CholeskyQR2 handed to Householder (0 with Householder).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from .. import recurrent
from ..recurrent import _qr

__all__ = ["Case", "FULL_CASES", "QUICK_CASES", "GPU_CASES", "engine_work", "floor_work",
           "training_work", "time_engine", "time_floor", "time_jacrev",
           "run_case", "run", "main"]


@dataclass
class Case:
    """One benchmark setting."""

    name: str
    arch: str = "lstm"           # "lstm", "gru", "rnn_tanh"
    hidden: int = 64
    k: int | None = None         # None: full spectrum
    reortho: int = 1
    state: str = "full"
    batch: int = 4
    steps: int = 20
    inputs: int = 32
    layers: int = 1
    bias: bool = True
    one_hot: bool = False
    jacrev_steps: int | None = None   # None: same as steps; 0: skip
    train_batch: int | None = None    # batch of the training step (None: same as batch)


def _d(c: Case) -> int:
    blocks = 2 if (c.arch == "lstm" and c.state == "full") else 1
    return blocks * c.layers * c.hidden


FULL_CASES = [
    Case("LSTM full k=D", hidden=64, batch=10, steps=100),
    Case("LSTM full k=D", hidden=128, batch=10, steps=50),
    Case("LSTM full k=D", hidden=256, batch=4, steps=20, jacrev_steps=10),
    Case("LSTM full k=D", hidden=512, batch=2, steps=8, jacrev_steps=4),
    Case("LSTM full k=D", hidden=1024, batch=1, steps=3, jacrev_steps=2),
    Case("LSTM full k=D r=10", hidden=256, reortho=10, batch=4, steps=40, jacrev_steps=10),
    Case("LSTM full k=D r=10", hidden=1024, reortho=10, batch=1, steps=10, jacrev_steps=2),
    Case("GRU k=D", arch="gru", hidden=256, batch=4, steps=20, jacrev_steps=10),
    Case("RNN-tanh k=D", arch="rnn_tanh", hidden=256, batch=4, steps=40, jacrev_steps=10),
    Case("LSTM 2 layers k=D", hidden=128, layers=2, batch=4, steps=20, jacrev_steps=10),
    Case("LSTM full k=16", hidden=64, k=16, batch=10, steps=100),
    Case("LSTM full k=16", hidden=256, k=16, batch=10, steps=50, jacrev_steps=5),
    Case("LSTM full k=16", hidden=1024, k=16, batch=10, steps=20, jacrev_steps=2),
    Case("LSTM full k=16 r=10", hidden=256, k=16, reortho=10, batch=10, steps=100,
         jacrev_steps=5),
    Case("LSTM full k=16 r=10", hidden=1024, k=16, reortho=10, batch=10, steps=40,
         jacrev_steps=2),
    Case("paper: LSTM hidden-only", hidden=512, state="hidden", batch=10, steps=30,
         inputs=82, bias=False, one_hot=True, jacrev_steps=5),
]

# The GPU grid: the cases of the GPU issue's table (float32, T = 100), the paper's setting
# with 32 exponents, and the leading 32 exponents with a QR every 5 steps.
GPU_CASES = [
    Case("paper: LSTM hidden-only", hidden=512, state="hidden", batch=10, steps=100,
         inputs=82, bias=False, one_hot=True, train_batch=100),
    Case("paper hidden-only k=32 r=5", hidden=512, k=32, reortho=5, state="hidden", batch=10,
         steps=100, inputs=82, bias=False, one_hot=True, train_batch=100),
    Case("LSTM full k=D", hidden=512, batch=10, steps=100, inputs=82, one_hot=True,
         train_batch=100),
    Case("LSTM full k=D", hidden=256, batch=100, steps=100, inputs=82, one_hot=True),
    Case("LSTM full k=32 r=10", hidden=1024, k=32, reortho=10, batch=10, steps=100,
         inputs=82, one_hot=True, train_batch=100),
    Case("LSTM full k=32 r=5", hidden=512, k=32, reortho=5, batch=10, steps=100, inputs=82,
         one_hot=True, train_batch=100),
]

QUICK_CASES = [
    Case("LSTM full k=D", hidden=64, batch=4, steps=20),
    Case("LSTM full k=16 r=10", hidden=128, k=16, reortho=10, batch=4, steps=20),
    Case("GRU k=D", arch="gru", hidden=64, batch=4, steps=20),
    Case("paper (small): hidden-only", hidden=96, state="hidden", batch=4, steps=10,
         inputs=82, bias=False, one_hot=True),
]


def _device(device) -> torch.device:
    return torch.device(device)


def _sync(device) -> None:
    if _device(device).type == "cuda":
        torch.cuda.synchronize()


def _module(c: Case, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    kw = dict(input_size=c.inputs, hidden_size=c.hidden, num_layers=c.layers, bias=c.bias)
    if c.arch == "lstm":
        m = nn.LSTM(**kw)
    elif c.arch == "gru":
        m = nn.GRU(**kw)
    else:
        m = nn.RNN(nonlinearity=c.arch.split("_")[1], **kw)
    return recurrent.init_uniform(m, 1.0 / math.sqrt(c.hidden) * 2.0, seed=seed)


def _inputs(c: Case, steps: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if c.one_hot:
        idx = torch.randint(0, c.inputs, (steps, c.batch), generator=g)
        return nn.functional.one_hot(idx, c.inputs).float()
    return torch.randn(steps, c.batch, c.inputs, generator=g)


def _best(fn, repeats: int, device="cpu") -> float:
    best = math.inf
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return best


def engine_work(c: Case, device="cpu", qr: str = "auto"):
    """A callable running :func:`lyapunov_spectrum` on this case."""
    m = _module(c).to(device)
    X = _inputs(c, c.steps).to(device)
    kw = dict(k=c.k, reortho_every=c.reortho, state=c.state, qr=qr)
    recurrent.lyapunov_spectrum(m, X[:2], **kw)   # first-call overheads
    return lambda: recurrent.lyapunov_spectrum(m, X, **kw)


def time_engine(c: Case, repeats: int = 3, device="cpu", qr: str = "auto") -> float:
    """Seconds per step of :func:`lyapunov_spectrum` for this case."""
    return _best(engine_work(c, device, qr), repeats, device) / c.steps


def floor_work(c: Case, qr_mode: str = "householder", device="cpu"):
    """A callable doing the bare tangent-space work on random matrices.

    ``qr_mode="householder"`` (default) uses the engine's Householder QR
    (``geqrf`` on the column-major frame + ``householder_product``), so the
    ratio measures only the engine's own overhead; ``"cholesky"`` the engine's
    CholeskyQR2 with its fallback check; ``"linalg"`` ``torch.linalg.qr`` on
    the same frame; ``"none"`` no QR at all (the matrix products alone).
    """
    D = _d(c)
    k = c.k or D
    g = torch.Generator().manual_seed(2)
    AT = (torch.randn(c.batch, D, D, generator=g) / math.sqrt(D)).transpose(1, 2).to(device)
    QT0 = torch.linalg.qr(torch.randn(c.batch, D, k, generator=g))[0].transpose(1, 2)
    QT0 = QT0.contiguous().to(device)
    if qr_mode == "none":   # norm-preserving, so that T products neither overflow nor go subnormal
        AT = torch.linalg.qr(torch.randn(c.batch, D, D, generator=g))[0].to(device)
    chol = _qr._CholeskyQR()

    def qr(QT):
        if qr_mode == "linalg":
            Q, Rm = torch.linalg.qr(QT.transpose(1, 2))
            return Q.transpose(1, 2), torch.diagonal(Rm, dim1=-2, dim2=-1).abs().log()
        if qr_mode == "cholesky":
            return chol(QT)
        if qr_mode == "none":
            return QT, QT[:, :, 0]
        return _qr._qr_logs(QT)

    def work():
        QT = QT0                      # the frame (B, D, k) stored column-major
        gam = torch.zeros(c.batch, k, device=device)
        since = 0
        for _ in range(c.steps):
            QT = torch.bmm(QT, AT)    # (A Q)^T: one batched (D x D)(D x k) product
            since += 1
            if since == c.reortho:
                QT, logs = qr(QT)
                gam += logs
                since = 0
        if since:
            QT, logs = qr(QT)
            gam += logs
        return gam

    work()
    return work


def time_floor(c: Case, repeats: int = 3, qr_mode: str = "householder", device="cpu") -> float:
    """Seconds per step of the bare tangent-space work (see :func:`floor_work`)."""
    return _best(floor_work(c, qr_mode, device), repeats, device) / c.steps


def training_work(c: Case, device="cpu"):
    """A callable doing one training step of the case's module: forward, backward, Adam.

    The module reads ``train_batch`` sequences of ``steps`` inputs; a linear
    read-out predicts a class per step (cross-entropy), as in character-level
    language modelling.
    """
    m = _module(c).to(device)
    B = c.train_batch or c.batch
    head = nn.Linear(c.hidden, c.inputs).to(device)
    opt = torch.optim.Adam(list(m.parameters()) + list(head.parameters()), lr=1e-3)
    cc = Case(**{**c.__dict__, "batch": B})
    X = _inputs(cc, c.steps).to(device)
    y = torch.randint(0, c.inputs, (c.steps, B), generator=torch.Generator().manual_seed(3))
    y = y.to(device)

    def work():
        out, _ = m(X)
        loss = nn.functional.cross_entropy(head(out).reshape(-1, c.inputs), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    work()
    return work


def time_jacrev(c: Case, repeats: int = 1) -> float:
    """Seconds per step of a plain ``vmap(jacrev(step))`` implementation."""
    from torch.func import jacrev, vmap

    steps = c.steps if c.jacrev_steps is None else c.jacrev_steps
    if steps == 0:
        return math.nan
    m = _module(c)
    X = _inputs(c, steps)
    full = recurrent.make_step(m)            # (B, D_full) -> (B, D_full)
    H, L = c.hidden, c.layers
    lstm = c.arch == "lstm"
    D_full = (2 if lstm else 1) * L * H
    D = _d(c)
    k = c.k or D
    hidden_only = lstm and c.state == "hidden"
    h_idx = torch.cat([torch.arange(2 * l * H, (2 * l + 1) * H) for l in range(L)]) \
        if lstm else torch.arange(D_full)

    def single(s, x):
        return full(s.unsqueeze(0), x.unsqueeze(0)).squeeze(0)

    def single_hidden(h, s, x):
        z = s.index_put((h_idx,), h)
        return single(z, x)[h_idx]

    jac_full = vmap(jacrev(single))
    jac_hidden = vmap(jacrev(single_hidden))

    def work():
        s = torch.zeros(c.batch, D_full)
        Q = torch.linalg.qr(torch.randn(D, k, generator=torch.Generator().manual_seed(3)))[0]
        Q = Q.expand(c.batch, D, k)
        gam = torch.zeros(c.batch, k)
        since = 0
        for t in range(steps):
            if hidden_only:
                J = jac_hidden(s[:, h_idx], s, X[t])
            else:
                J = jac_full(s, X[t])
            with torch.no_grad():
                s = full(s, X[t])
                Q = torch.bmm(J, Q)
            since += 1
            if since == c.reortho:
                Q, Rm = torch.linalg.qr(Q)
                gam += torch.diagonal(Rm, dim1=-2, dim2=-1).abs().log()
                since = 0
        if since:
            Q, Rm = torch.linalg.qr(Q)
            gam += torch.diagonal(Rm, dim1=-2, dim2=-1).abs().log()
        return gam

    return _best(work, repeats) / steps


def run_case(c: Case, repeats: int = 3, jacrev: bool = True, device="cpu",
             qr: str = "auto") -> dict:
    """Time one case; returns per-step seconds and the ratios.

    ``floor`` is the Householder floor (``vs_floor`` = ours / floor),
    ``floor_chol`` the CholeskyQR2 floor, ``floor_mm`` the matmul-only floor,
    ``train`` one training step (whole sequence) and ``le_in_train_steps`` the
    whole spectrum's time in training steps.
    """
    # interleaved, best of `repeats` each: on a shared machine the load drifts
    works = {"ours": engine_work(c, device, qr), "floor": floor_work(c, "householder", device),
             "floor_chol": floor_work(c, "cholesky", device),
             "floor_mm": floor_work(c, "none", device), "train": training_work(c, device)}
    best = dict.fromkeys(works, math.inf)
    for _ in range(repeats):
        for key, fn in works.items():
            best[key] = min(best[key], _best(fn, 1, device))
    per = {key: v / c.steps for key, v in best.items() if key != "train"}
    ours = per["ours"]
    jr = time_jacrev(c) if jacrev else math.nan
    used = _qr._pick_qr(qr, _device(device))
    frames = c.batch * -(-c.steps // c.reortho)           # QRs of one run, one per sequence
    fallback = works["ours"]().qr_fallbacks / frames
    return {"case": c, "D": _d(c), "k": c.k or _d(c), **per, "train": best["train"],
            "qr": used, "fallback": fallback, "jacrev": jr, "vs_floor": ours / per["floor"],
            "vs_chol": ours / per["floor_chol"], "vs_mm": ours / per["floor_mm"],
            "chol_vs_hh": per["floor_chol"] / per["floor"],
            "le_in_train_steps": best["ours"] / best["train"], "jacrev_speedup": jr / ours}


def _target(c: Case) -> float | None:
    if c.name.startswith("paper") and c.hidden == 512:
        return 1.5
    if c.k is not None and c.hidden == 1024 and c.reortho == 10:
        return 3.0
    if c.k is None and c.reortho == 1 and c.arch == "lstm" and c.layers == 1 \
            and c.state == "full":
        return 1.3
    return None


def run(cases: list[Case], repeats: int = 3, jacrev: bool = True, out=print,
        device="cpu", qr: str = "auto") -> list[dict]:
    """Run and print a table of cases.

    The target (CPU grid) bounds ours/HH, the engine's overhead over the
    Householder floor; it applies when the engine uses Householder.
    """
    dev = _device(device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    out(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, {name}, "
        f"qr={qr!r} -> {_qr._pick_qr(qr, dev)!r}")
    head = (f"{'case':<28}{'H':>5}{'B':>4}{'D':>6}{'k':>6}{'r':>4}"
            f"{'ours ms/step':>13}{'HH':>9}{'chol':>9}{'matmul':>9}{'train ms':>10}"
            f"{'jacrev':>9}{'ours/HH':>9}{'ours/mm':>9}{'chol/HH':>9}{'LE/train':>10}"
            f"{'jacrev/ours':>12}{'fallbk':>8}{'target':>8}")
    out(head)
    out("-" * len(head))
    rows = []
    for c in cases:
        r = run_case(c, repeats, jacrev, device, qr)
        rows.append(r)
        tgt = _target(c) if r["qr"] == "householder" else None
        mark = "" if tgt is None else (f"<{tgt:g} " + ("ok" if r["vs_floor"] <= tgt else "MISS"))
        out(f"{c.name:<28}{c.hidden:>5}{c.batch:>4}{r['D']:>6}{r['k']:>6}{c.reortho:>4}"
            f"{1e3 * r['ours']:>13.2f}{1e3 * r['floor']:>9.2f}{1e3 * r['floor_chol']:>9.2f}"
            f"{1e3 * r['floor_mm']:>9.2f}{1e3 * r['train']:>10.1f}{1e3 * r['jacrev']:>9.2f}"
            f"{r['vs_floor']:>9.2f}{r['vs_mm']:>9.1f}{r['chol_vs_hh']:>9.2f}"
            f"{r['le_in_train_steps']:>10.1f}{r['jacrev_speedup']:>12.1f}"
            f"{100 * r['fallback']:>7.0f}%  {mark}")
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m lyaplearn.maintainer.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    p.add_argument("--repeats", type=int, default=None,
                   help="best of this many interleaved runs (default: 5 with --quick, else 3)")
    p.add_argument("--no-jacrev", action="store_true", help="skip the jacrev baseline")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    p.add_argument("--device", default="cpu",
                   help="cpu (default: the CPU grid) or cuda (the GPU grid; no jacrev)")
    p.add_argument("--qr", default="auto", choices=["auto", "householder", "cholesky"],
                   help="QR method of the engine (default auto)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    repeats = a.repeats or (5 if a.quick else 3)
    dev = _device(a.device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            p.error("--device cuda: this torch has no CUDA device")
        cases = QUICK_CASES if a.quick else GPU_CASES
        return run(cases, repeats, False, device=a.device, qr=a.qr)
    return run(QUICK_CASES if a.quick else FULL_CASES, repeats, not a.no_jacrev,
               device=a.device, qr=a.qr)


if __name__ == "__main__":
    main()
