"""The half of the coursework marker that runs *inside* the sandbox.

It executes the code cells of one submitted notebook in an IPython shell (no
kernel, no network port) and then answers calls: "run your ``qr_step`` on these
arrays". The hidden tests never enter the sandbox. They run in the marker's own
process (:mod:`lyaplearn.coursework`), where every function of the submission is
a proxy that sends its arguments here and receives the return value back as
plain data, so the comparisons of the hidden tests use an untouched numpy,
torch and otter that the student's code never saw.

This file is copied into the sandbox on its own and imports nothing from
``lyaplearn`` (the library is not visible to submissions: answers must be the
student's own code). The marker imports it for :func:`encode` and
:func:`decode`, the data format both sides share.

Protocol: messages are JSON objects, each preceded by its length as 8 ASCII
hex digits, on the worker's standard input and output. The worker moves the
channel to private file descriptors and points 0, 1 and 2 at ``/dev/null``, so
what the student's code prints cannot be mistaken for a message.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import sys

#: Largest message either side accepts, in bytes.
MAX_MESSAGE = 64 * 2**20
#: Deepest nesting of lists, tuples and dicts :func:`decode` accepts.
MAX_DEPTH = 32
#: Modules module attributes of which a submission must not replace.
GUARDED = ("builtins", "math", "numpy", "numpy.linalg", "numpy.testing", "numpy.random",
           "torch", "torch.linalg", "torch.autograd", "torch.autograd.functional",
           "otter", "otter.check", "otter.check.notebook", "otter.test_files",
           "otter.test_files.abstract_test", "otter.test_files.exception_test")
# Files whose opening marks an attempt to find the grader's tests.
_SUSPECT = re.compile(r"(^|/)tests?(/|$)|autograder|\.zip$|masters")
_MODULES = ("LSTM", "GRU", "RNN", "Linear")


class CodecError(ValueError):
    """A value that cannot be sent across the sandbox boundary."""


def _np():
    import numpy
    return numpy


def _torch():
    return sys.modules.get("torch")


def encode(value, depth: int = 0):
    """Plain JSON data for ``value``: numbers, strings, lists, tuples, dicts with
    string keys, numeric numpy arrays and scalars, torch tensors and the
    recurrent/linear modules of ``torch.nn``; anything else becomes an opaque marker."""
    if depth > MAX_DEPTH:
        raise CodecError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"__bigint__": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if value is Ellipsis:
        return {"__ellipsis__": 1}
    if isinstance(value, complex):
        return {"__complex__": [encode(value.real), encode(value.imag)]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {"__opaque__": "dict with non-string keys"}
        return {"__dict__": [[k, encode(v, depth + 1)] for k, v in value.items()]}
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biufc":
            return {"__opaque__": f"numpy array of dtype {arr.dtype}"}
        arr = np.ascontiguousarray(arr)
        return {"__nd__": arr.dtype.str, "shape": list(arr.shape), "scalar": isinstance(value, np.generic),
                "b64": base64.b64encode(arr.tobytes()).decode("ascii")}
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        arr = value.detach().cpu().resolve_conj().numpy()
        return {"__tensor__": encode(arr, depth + 1), "requires_grad": bool(value.requires_grad)}
    if torch is not None and type(value).__name__ in _MODULES and isinstance(value, torch.nn.Module) \
            and type(value).__module__.startswith("torch.nn"):
        keys = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                "bidirectional", "proj_size", "nonlinearity", "in_features", "out_features")
        kwargs = {k: getattr(value, k) for k in keys if hasattr(value, k)}
        if "bias" in kwargs and not isinstance(kwargs["bias"], bool):   # nn.Linear.bias is a tensor
            kwargs["bias"] = kwargs["bias"] is not None
        state = {k: encode(v, depth + 1) for k, v in value.state_dict().items()}
        return {"__module__": type(value).__name__, "kwargs": encode(kwargs, depth + 1), "state": state}
    if callable(value):
        return {"__opaque__": f"function {getattr(value, '__name__', type(value).__name__)}"}
    return {"__opaque__": type(value).__name__}


class Opaque:
    """Stands for a value the sandbox could not send (its type is in ``what``)."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self):
        return f"<{self.what} (not a plain value)>"


def decode(data, depth: int = 0):
    """The value :func:`encode` described; never executes code of the sender."""
    if depth > MAX_DEPTH:
        raise CodecError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise CodecError(f"unexpected {type(data).__name__}")
    if "__float__" in data:
        text = data["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise CodecError("bad float")
        return float(text)
    if "__bigint__" in data:
        return int(str(data["__bigint__"])[:10000])
    if "__ellipsis__" in data:
        return Ellipsis
    if "__complex__" in data:
        re_, im = (float(decode(v, depth + 1)) for v in data["__complex__"])
        return complex(re_, im)
    if "__tuple__" in data:
        return tuple(decode(v, depth + 1) for v in data["__tuple__"])
    if "__dict__" in data:
        return {str(k): decode(v, depth + 1) for k, v in data["__dict__"]}
    if "__nd__" in data:
        np = _np()
        dtype = np.dtype(str(data["__nd__"]))
        if dtype.kind not in "biufc":
            raise CodecError(f"array dtype {dtype} not allowed")
        shape = tuple(int(n) for n in data["shape"])
        raw = base64.b64decode(data["b64"], validate=True)
        if any(n < 0 for n in shape) or math.prod(shape) * dtype.itemsize != len(raw):
            raise CodecError("array shape does not match its data")
        arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        return arr[()] if data.get("scalar") else arr
    if "__tensor__" in data:
        import torch
        arr = decode(data["__tensor__"], depth + 1)
        t = torch.from_numpy(_np().array(arr, copy=True))
        return t.requires_grad_(bool(data.get("requires_grad"))) if t.is_floating_point() else t
    if "__module__" in data:
        import torch
        name = str(data["__module__"])
        if name not in _MODULES:
            raise CodecError(f"module type {name} not allowed")
        kwargs = decode(data["kwargs"], depth + 1)
        mod = getattr(torch.nn, name)(**kwargs)
        state = {str(k): decode(v, depth + 1) for k, v in data["state"].items()}
        first = next(iter(state.values()), None)
        if first is not None:
            mod = mod.to(first.dtype)
        mod.load_state_dict({k: v.detach() for k, v in state.items()})
        return mod
    if "__opaque__" in data:
        return Opaque(str(data["__opaque__"]))
    if "__callable__" in data:
        raise CodecError("a function cannot be decoded as a value")
    raise CodecError(f"unknown tag {sorted(data)[:1]}")


def write_message(stream, message: dict) -> None:
    raw = json.dumps(message, allow_nan=False).encode("utf-8")
    if len(raw) > MAX_MESSAGE:
        raw = json.dumps({"op": message.get("op"), "error": "message too large"}).encode("utf-8")
    stream.write(b"%08x" % len(raw) + raw)
    stream.flush()


def read_message(stream) -> dict | None:
    head = stream.read(8)
    if len(head) < 8:
        return None
    n = int(head, 16)
    if n > MAX_MESSAGE:
        raise CodecError("message too large")
    raw = stream.read(n)
    if len(raw) < n:
        return None
    msg = json.loads(raw)
    if not isinstance(msg, dict):
        raise CodecError("a message must be a JSON object")
    return msg


def _short_error(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 500 else text[:497] + "..."


def _snapshot() -> dict[str, int]:
    ids = {}
    for name in GUARDED:
        mod = sys.modules.get(name)
        if mod is None:
            continue
        for attr, obj in list(vars(mod).items()):
            ids[f"{name}.{attr}"] = id(obj)
            if isinstance(obj, type) and name.startswith("otter"):
                for a, o in list(vars(obj).items()):
                    ids[f"{name}.{attr}.{a}"] = id(o)
    return ids


def _changed(before: dict[str, int]) -> list[str]:
    after = _snapshot()
    return sorted(k for k, v in before.items() if after.get(k) != v)


def serve(inp, out) -> None:  # pragma: no cover - runs inside the sandbox
    """Answer the marker's messages until it closes the channel."""
    suspicious: list[str] = []

    def audit(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            path = os.fsdecode(args[0])
            trusted = path.startswith((sys.prefix, sys.base_prefix, "/usr/", "/grader/"))
            if not trusted and _SUSPECT.search(path) and len(suspicious) < 20:
                suspicious.append(f"opened {path}")
        elif event == "socket.connect" and len(suspicious) < 20:
            suspicious.append("tried to open a network connection")

    shell = None
    baseline: dict[str, int] = {}
    me = os.getpid()

    reap = False

    def only_me():
        # a process the submission forked returns here too: it must not answer the marker
        if os.getpid() != me:
            os._exit(0)
        if reap:
            # Inside the sandbox's own process namespace: end every process the submission
            # left behind (a fork bomb's survivors would hold the process limit), then collect
            # our own dead children. kill(-1) spares this process and the namespace's init.
            # One kill(-1) is not enough: a process that was forking while it ran can leave a
            # child it never saw. So repeat until kill(-1) finds nothing to signal (ESRCH),
            # reaping our own dead children in between (a zombie still counts against the
            # process limit), for at most 10 s.
            import signal
            import time as _time
            stop = _time.monotonic() + 10.0
            while _time.monotonic() < stop:
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break                       # nothing left but us and the namespace's init
                except OSError:
                    break
                while True:
                    try:
                        if os.waitpid(-1, os.WNOHANG)[0] == 0:
                            break
                    except ChildProcessError:
                        break
                _time.sleep(0.005)
            while True:
                try:
                    os.waitpid(-1, 0)
                except (ChildProcessError, OSError):
                    break

    while True:
        msg = read_message(inp)
        if msg is None:
            return
        op = msg.get("op")
        if op == "start":
            # Import what the submission will use before its code runs, then remember
            # what every guarded name points to.
            import numpy  # noqa: F401
            reap = bool(msg.get("reap"))       # only ever true inside bubblewrap's pid namespace
            for name in msg.get("preload", []):
                try:
                    __import__(name)
                except Exception:
                    pass
            with open(msg["notebook_name"], "w", encoding="utf-8") as f:
                f.write(msg["notebook"])       # otter.Notebook("chNN.ipynb") reads its public checks here
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config
            cfg = Config()
            cfg.HistoryManager.enabled = False
            shell = InteractiveShell.instance(config=cfg)
            shell.enable_gui = lambda gui=None: None     # `%matplotlib inline` works without a kernel
            baseline = _snapshot()
            sys.addaudithook(audit)
            write_message(out, {"op": "started"})
        elif op == "cell":
            res = shell.run_cell(msg["source"], store_history=False)
            only_me()
            err = res.error_before_exec or res.error_in_exec
            write_message(out, {"op": "cell", "index": msg["index"], "error": _short_error(err)})
        elif op == "get":
            values = {}
            for name in msg["names"]:
                if name not in shell.user_ns:
                    values[name] = {"__missing__": 1}
                    continue
                v = shell.user_ns[name]
                if callable(v) and not isinstance(v, type) and not hasattr(v, "state_dict"):
                    values[name] = {"__callable__": name}
                else:
                    try:
                        values[name] = encode(v)
                    except Exception as exc:
                        values[name] = {"__opaque__": _short_error(exc)}
            write_message(out, {"op": "values", "values": values})
        elif op == "call":
            reply = {"op": "result", "value": None, "error": None, "args_after": []}
            try:
                args = decode(msg["args"])
                kwargs = decode(msg["kwargs"])
                value = shell.user_ns[msg["name"]](*args, **kwargs)
                reply["value"] = encode(value)
                reply["args_after"] = [encode(a) for a in args]
            except BaseException as exc:   # noqa: BLE001 - the student's exception is the answer
                only_me()
                reply["error"] = _short_error(exc)
                reply["error_type"] = type(exc).__name__
            only_me()
            write_message(out, reply)
        elif op == "integrity":
            write_message(out, {"op": "integrity", "changed": _changed(baseline), "suspicious": suspicious})
        else:
            write_message(out, {"op": "error", "error": f"unknown op {op!r}"})


def main() -> None:  # pragma: no cover - runs inside the sandbox
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    serve(inp, out)


if __name__ == "__main__":
    main()
