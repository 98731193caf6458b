"""Bit-for-bit record of what the torch engine (``lyaplearn.recurrent``) computes.

A refactoring of the engine must not change a single spectrum. This script runs the engine
on a broad set of configurations (RNN tanh/ReLU, GRU, LSTM full and hidden state; one and
two layers; k < D and k = D; Householder and CholeskyQR2, with its fallback and the
rollback of an optimistic chunk; chunked and unchunked; direct and formed tangent maps;
forward and transposed frames; warm-ups, QR intervals, histories, float32; the
``torch.func`` step path; the one-step Jacobian; the training monitor and chapter 6's
helpers) and writes every number it returns as an exact hexadecimal float.

    python scripts/engine_reference.py record OUT.json
    python scripts/engine_reference.py compare OLD.json NEW.json [--ignore-default-transpose]

``compare`` prints the largest absolute difference over all numbers (0 means bit for bit)
and lists the configurations that differ. It only uses names that the engine has had since
the package split (the old keyword names are deprecated aliases after it), so the same
script runs on the code before and after a change.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import warnings

import torch
from torch import nn

torch.set_num_threads(1)


def _hex(t) -> list:
    """A tensor or array as nested lists of exact hexadecimal floats."""
    if isinstance(t, torch.Tensor):
        t = t.detach().to("cpu")
        if t.dtype.is_floating_point:
            t = t.to(torch.float64)
        return _hex(t.tolist())
    if isinstance(t, (list, tuple)):
        return [_hex(v) for v in t]
    if isinstance(t, float):
        return float.hex(t)
    if hasattr(t, "tolist"):
        return _hex(t.tolist())
    return t


def _result(res) -> dict:
    state = getattr(res, "state", None)
    if not isinstance(state, str):
        state = res.__dict__.get("convention")
    return {
        "exponents": _hex(res.exponents),
        "dtype": str(res.exponents.dtype),
        "units": res.units, "steps": int(res.steps), "state": state, "frame": res.frame,
        "history": None if res.history is None else _hex(res.history),
        "history_steps": None if res.history_steps is None else _hex(res.history_steps),
        "qr": res.qr, "qr_fallbacks": int(res.qr_fallbacks),
        "unresolved": None if res.unresolved is None else _hex(res.unresolved),
    }


def _with_warnings(fn) -> dict:
    res, msgs = _capture(fn)
    return {**_result(res), "warnings": msgs}


def _make(arch, *, I=3, H=4, L=1, bias=True, batch_first=False, seed=0, scale=0.9,
          dtype=torch.float64):
    torch.manual_seed(seed)
    kw = dict(input_size=I, hidden_size=H, num_layers=L, bias=bias, batch_first=batch_first)
    m = {"lstm": nn.LSTM, "gru": nn.GRU}.get(arch)
    m = m(**kw) if m else nn.RNN(nonlinearity=arch.split("_")[1], **kw)
    m = m.to(dtype)
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_((torch.rand(p.shape, generator=g, dtype=torch.float64) * 2 - 1) * scale)
    return m


def _inputs(T, B, I=3, seed=0, dtype=torch.float64):
    return torch.randn(T, B, I, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _frame(D, k, seed=3, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.linalg.qr(torch.randn(D, k, generator=g, dtype=torch.float64))[0].to(dtype)


def _capture(fn):
    """Run ``fn``; return its output and the warnings it raised (category and message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    msgs = [f"{w.category.__name__}: {w.message}" for w in caught
            if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    return out, msgs


def configurations():
    """Yield (name, thunk, tags): each thunk returns a JSON-able dict."""
    from lyaplearn import recurrent as R

    # 1. the module engine, a broad grid with the other options rotating through it
    pairs = [("rnn_tanh", "full"), ("rnn_relu", "full"), ("gru", "full"), ("lstm", "full"),
             ("lstm", "hidden")]
    rot = itertools.count()
    for (arch, state), L, kfull, qr, frame in itertools.product(
            pairs, (1, 2), (True, False), ("householder", "cholesky"),
            ("forward", "transpose")):
        i = next(rot)
        bias, bf = i % 3 != 1, i % 4 == 2
        m = _make(arch, L=L, bias=bias, batch_first=bf, seed=i, scale=1.0 if i % 2 else 0.6)
        D = R.state_dim(m, state)
        k = D if kfull else 3
        X = _inputs(37, 2, seed=i)
        inp = X.transpose(0, 1) if bf else X
        kw = dict(k=None if (kfull and i % 2) else k, state=state, qr=qr, frame=frame,
                  reortho_every=(1, 3, 1, 2)[i % 4], chunk=(128, 7, 5, 128)[i % 4],
                  warmup=(0, 5, 3, 0)[i % 4], frame_warmup=(0, 4, 0, 6)[i % 4],
                  history=i % 3 == 0, sort=i % 5 != 0, units="bits" if i % 7 == 0 else "nats")
        if frame == "forward" and arch in ("gru", "lstm"):
            kw["method"] = ("auto", "direct", "formed")[i % 3]
        if i % 6 == 5:
            kw["frame0"] = _frame(D, k, seed=i)
        default_transpose = frame == "transpose" and "frame0" not in kw
        name = f"spectrum/{arch}/{state}/L{L}/k{'D' if kfull else 3}/{qr}/{frame}/{i}"
        yield (name, lambda m=m, inp=inp, kw=kw: _with_warnings(
                   lambda: R.lyapunov_spectrum(m, inp, **kw)),
               {"default_transpose": default_transpose})

    # 2. float32 modules, and a float64 computation of a float32 module
    for j, arch in enumerate(("rnn_tanh", "gru", "lstm")):
        m = _make(arch, L=2, seed=40 + j, dtype=torch.float32)
        X = _inputs(30, 2, seed=40 + j, dtype=torch.float32)
        for qr in ("householder", "cholesky"):
            yield (f"float32/{arch}/{qr}",
                   lambda m=m, X=X, qr=qr: _result(R.lyapunov_spectrum(m, X, qr=qr, warmup=4)),
                   {})
        yield (f"float32-as-64/{arch}",
               lambda m=m, X=X: _result(R.lyapunov_spectrum(m, X, dtype=torch.float64, k=3)),
               {})

    # 3. the CholeskyQR2 fallback and the rollback of an optimistic chunk
    X = _inputs(120, 3, seed=4)
    Xb = X.clone()
    Xb[60:63, 0] = 20.0 * torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)
    for name, m, x, kw in [
            ("reortho25/gru", _make("gru", L=2, H=8, seed=7, scale=1.0), X,
             dict(reortho_every=25, chunk=40)),
            ("dead_relu", _make("rnn_relu", H=8, seed=7, scale=1.0), X, dict(chunk=16)),
            ("burst/gru", _make("gru", H=8, seed=7, scale=1.0), Xb, dict(chunk=16)),
            ("burst/rnn_tanh", _make("rnn_tanh", H=8, seed=7, scale=1.0), Xb, dict(chunk=16))]:
        for qr in ("householder", "cholesky"):
            yield (f"fallback/{name}/{qr}",
                   lambda m=m, x=x, kw=kw, qr=qr: _with_warnings(
                       lambda: R.lyapunov_spectrum(m, x, qr=qr, history=True, **kw)),
                   {})

    # 4. formed blocks built across time steps (the accelerator's path, forced on the CPU)
    def formed_across_time(arch, state):
        from lyaplearn.recurrent import _engine
        old = _engine._FORMED_BUDGET.get("cpu")
        _engine._FORMED_BUDGET["cpu"] = 3000
        try:
            m = _make(arch, L=2, seed=11)
            return _result(R.lyapunov_spectrum(m, _inputs(30, 2, seed=6), state=state,
                                               method="formed", chunk=8, k=5, history=True))
        finally:
            _engine._FORMED_BUDGET["cpu"] = old
    for arch, state in (("gru", "full"), ("lstm", "full"), ("lstm", "hidden")):
        yield (f"formed-across-time/{arch}/{state}",
               lambda arch=arch, state=state: formed_across_time(arch, state), {})

    # 5. dead units, unresolved exponents and their warning
    def dead_relu():
        m = nn.RNN(3, 5, nonlinearity="relu", dtype=torch.float64)
        A = torch.diag(torch.tensor([0.5, 0.4, 0.3], dtype=torch.float64)) + \
            0.05 * (1 - torch.eye(3, dtype=torch.float64))
        with torch.no_grad():
            for prm in m.parameters():
                prm.zero_()
            m.weight_hh_l0[:3, :3] = A
            m.weight_hh_l0[3:] = 0.7
            m.weight_ih_l0[:3] = torch.eye(3)
            m.bias_ih_l0[3:] = -100.0
        x = _inputs(200, 3, seed=1).abs() + 0.1
        return _with_warnings(lambda: R.lyapunov_spectrum(m, x, warmup=5, frame_warmup=60))
    yield "unresolved/dead_relu", dead_relu, {}

    # 6. the torch.func step path
    for j, (arch, frame, kfull) in enumerate(itertools.product(
            ("rnn_tanh", "gru", "lstm"), ("forward", "transpose"), (True, False))):
        m = _make(arch, L=2 if j % 2 else 1, seed=60 + j)
        step = R.make_step(m)
        D = R.state_dim(m)
        X = _inputs(24, 2, seed=60 + j)
        s0 = 0.1 * torch.randn(2, D, generator=torch.Generator().manual_seed(j),
                               dtype=torch.float64)
        kw = dict(k=None if kfull else 3, frame=frame, reortho_every=(1, 3)[j % 2],
                  warmup=(0, 4)[j % 2], frame_warmup=(0, 3, 5)[j % 3], history=j % 3 == 0,
                  sort=j % 4 != 1, qr=("householder", "cholesky")[j % 2],
                  units=("nats", "bits")[j % 3 == 2])
        default_transpose = frame == "transpose"
        if j % 5 == 4:
            kw["frame0"] = _frame(D, D if kfull else 3, seed=j)
            default_transpose = False
        yield (f"step/{arch}/{frame}/k{'D' if kfull else 3}/{j}",
               lambda step=step, s0=s0, X=X, kw=kw: _with_warnings(
                   lambda: R.lyapunov_spectrum_step(step, s0, X, **kw)),
               {"default_transpose": default_transpose})

    def henon_like():
        def step(s, x):
            return torch.stack([1 - 1.4 * s[:, 0] ** 2 + s[:, 1] + 0.01 * x[:, 0],
                                0.3 * s[:, 0]], -1)
        s0 = torch.tensor([[0.1, 0.1], [0.2, -0.1]], dtype=torch.float64)
        X = _inputs(200, 2, I=1, seed=5)
        return _result(R.lyapunov_spectrum_step(step, s0, X, warmup=20, history=True))
    yield "step/henon_like", henon_like, {}

    # 7. the one-step Jacobian
    for j, (arch, state) in enumerate(pairs):
        m = _make(arch, L=2, seed=80 + j)
        H = m.hidden_size
        g = torch.Generator().manual_seed(j)
        h = 0.5 * torch.randn(2, 2, H, generator=g, dtype=torch.float64)
        st = (h, 0.5 * torch.randn(2, 2, H, generator=g, dtype=torch.float64)) \
            if arch == "lstm" else h.abs()
        x = torch.randn(2, 3, generator=g, dtype=torch.float64)

        def jac(m=m, x=x, st=st, state=state):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return {"J": _hex(R.jacobian(m, x, st, convention=state)),
                        "J0": _hex(R.jacobian(m, x))}
        yield f"jacobian/{arch}/{state}", jac, {}

    # 8. the monitor during a short training run, and chapter 6's helpers
    def monitor():
        m = R.make_rnn("lstm", 4, 6, 0.5, seed=0)
        X = R.one_hot_inputs(12, 3, 4, seed=0)
        mon, losses = R.train_with_monitor(m, X, epochs=4, every=2, k=2)
        return {"losses": _hex(losses), "records": [[c, _result(r)] for c, r in mon.records],
                "exponents": _hex(mon.exponents())}
    yield "monitor/train_with_monitor", monitor, {}

    def monitor_every():
        m = _make("gru", seed=1, dtype=torch.float32)
        X = _inputs(10, 2, dtype=torch.float32)
        mon = R.SpectrumMonitor(m, X, every=3, k=3, qr="cholesky")
        out = [mon.step() for _ in range(7)]
        return {"due": [r is not None for r in out],
                "records": [[c, _result(r)] for c, r in mon.records]}
    yield "monitor/every", monitor_every, {}

    def sweep():
        sw = R.init_sweep("gru", [0.5, 3.0], hidden=6, n_symbols=4, batch=2, steps=60,
                          warmup=10, frame_warmup=10)
        return {str(p): _result(r) for p, r in sw.items()}
    yield "helpers/init_sweep", sweep, {}

    def period3():
        rnn, X = R.period3_rnn(periods=60)
        out = {f: _result(R.lyapunov_spectrum(rnn, X, warmup=60, frame_warmup=60, frame=f,
                                              history=True)) for f in ("forward", "transpose")}
        out["closed"] = {k: _hex(v) for k, v in R.period_exponents(rnn, X, 3, 60).items()}
        return out
    yield "helpers/period3", period3, {"default_transpose": True}

    def gap():
        g = R.convention_gap(R.convention_gap_rnn(seed=1), [50, 100], batch=4, warmup=20)
        return {k: _hex(v) for k, v in g.items()}
    yield "helpers/convention_gap", gap, {"default_transpose": True}


def record(path: str) -> None:
    import lyaplearn
    print(f"recording the engine of {lyaplearn.__file__}")
    out = {}
    for name, thunk, tags in configurations():
        assert name not in out, name
        out[name] = {"tags": tags, "value": thunk()}
    with open(path, "w") as fh:
        json.dump(out, fh, indent=0, sort_keys=True)
    print(f"{len(out)} configurations written to {path}")


def _diff(a, b, where, bad):
    """Largest absolute difference between two records (inf if they differ in structure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            bad.append(f"{where}: keys {sorted(a)} != {sorted(b)}")
            return math.inf
        return max([_diff(a[k], b[k], f"{where}.{k}", bad) for k in a], default=0.0)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            bad.append(f"{where}: lengths {len(a)} != {len(b)}")
            return math.inf
        return max([_diff(x, y, where, bad) for x, y in zip(a, b)], default=0.0)
    if isinstance(a, str) and isinstance(b, str) and (a.startswith(("0x", "-0x")) or
                                                     a in ("inf", "-inf", "nan")):
        x, y = float.fromhex(a), float.fromhex(b)
        if x == y or (x != x and y != y):
            return 0.0
        d = abs(x - y)
        bad.append(f"{where}: {x!r} != {y!r}")
        return d if d == d else math.inf
    if a != b:
        bad.append(f"{where}: {a!r} != {b!r}")
        return math.inf
    return 0.0


def compare(old_path: str, new_path: str, ignore_default_transpose: bool = False) -> float:
    old, new = (json.load(open(p)) for p in (old_path, new_path))
    if old.keys() != new.keys():
        print("configurations differ:", sorted(set(old) ^ set(new)))
    worst, differing, skipped = 0.0, [], 0
    for name in sorted(set(old) & set(new)):
        if ignore_default_transpose and old[name]["tags"].get("default_transpose"):
            skipped += 1
            continue
        bad: list[str] = []
        d = _diff(old[name]["value"], new[name]["value"], name, bad)
        worst = max(worst, d)
        if bad:
            differing.append((name, d, bad[:3]))
    n = len(set(old) & set(new)) - skipped
    print(f"{n} configurations compared ({skipped} with a default transposed frame skipped); "
          f"max |old - new| = {worst!r}; {len(differing)} differ")
    for name, d, bad in differing:
        print(f"  {name}: {d!r}  e.g. {bad[0]}")
    return worst


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "record":
        record(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "compare":
        w = compare(sys.argv[2], sys.argv[3], "--ignore-default-transpose" in sys.argv)
        sys.exit(0 if w == 0 else 1)
    else:
        sys.exit(__doc__)
