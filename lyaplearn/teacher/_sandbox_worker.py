"""The half of the coursework marker that runs *inside* the sandbox, and the data format.

It executes the code cells of one submitted notebook in an IPython shell (no
kernel, no network port) and then answers calls: "run your ``qr_step`` on these
arrays". The hidden tests never enter the sandbox. They run in the marker's own
process (:mod:`lyaplearn.teacher.coursework`), where every function of the submission is
a proxy that sends its arguments here and receives the return value back as
plain data, so the comparisons of the hidden tests use an untouched numpy,
torch and otter that the student's code never saw.

Nothing this worker says is trusted by the marker: it reports no verdict of its
own (tampering is judged outside, from the notebook's text), arguments go in by
value and nothing comes back from them, and every reply is decoded by
:func:`loads` and :func:`decode`, which bound the size, the digits and the depth
of what they accept and raise :class:`CodecError` on anything else; the marker
then kills the sandbox.

This file is copied into the sandbox on its own and imports nothing from
``lyaplearn`` (the library is not visible to submissions: answers must be the
student's own code). The marker imports it for the data format both sides share.

Protocol: messages are JSON objects, each preceded by its length as 8 ASCII
hex digits, on the worker's standard input and output. The worker moves the
channel to private file descriptors and points 0, 1 and 2 at ``/dev/null``, so
what the student's code prints cannot be mistaken for a message.

Examples
--------
>>> import numpy as np
>>> decode(loads(dumps(encode({"x": np.arange(3.0), "n": (1, 2.5)}))))
{'x': array([0., 1., 2.]), 'n': (1, 2.5)}
>>> decode({"__nd__": "<f8", "shape": [10**6, 10**6], "b64": ""})
Traceback (most recent call last):
...
lyaplearn.teacher._sandbox_worker.CodecError: array shape does not match its data
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import sys

#: Largest message either side accepts, in bytes.
MAX_MESSAGE = 16 * 2**20
#: Deepest nesting of lists, tuples and dicts :func:`decode` accepts.
MAX_DEPTH = 32
#: Most values (list items, dict entries, ...) one decoded message may hold.
MAX_ITEMS = 2_000_000
#: Most dimensions of an array, and the most digits of an integer.
MAX_NDIM, MAX_DIGITS = 32, 400
_DTYPE = re.compile(r"[<>|=][biufc]\d{1,2}")
_MODULES = ("LSTM", "GRU", "RNN", "Linear")
# the constructor arguments of those modules, and what each may be
_MODULE_ARGS = {"input_size": int, "hidden_size": int, "num_layers": int, "bias": bool, "batch_first": bool,
                "dropout": float, "bidirectional": bool, "proj_size": int, "nonlinearity": str,
                "in_features": int, "out_features": int}


#: Bounds on a decoded module's size, checked before any module is built: most layers, largest
#: feature/hidden size, most parameters.
MAX_LAYERS, MAX_FEATURES, MAX_PARAMETERS = 8, 4096, 4_000_000


class CodecError(ValueError):
    """A value or message that does not cross the sandbox boundary."""


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
        if abs(value) < 2**63:
            return value
        return {"__bigint__": str(value)} if value.bit_length() < 3 * MAX_DIGITS else {"__opaque__": "huge int"}
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
        if arr.dtype.kind not in "biufc" or not _DTYPE.fullmatch(arr.dtype.str):
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
        kwargs = {k: getattr(value, k) for k in _MODULE_ARGS if hasattr(value, k)}
        if type(value).__name__ != "LSTM":          # GRU and RNN keep proj_size = 0 but refuse it
            kwargs.pop("proj_size", None)
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
        self.what = what[:200]

    def __repr__(self):
        return f"<{self.what} (not a plain value)>"


def _bounded_int(text: str) -> int:
    if len(text) > 20:
        raise CodecError("integer with too many digits")
    return int(text)


def _no_constant(text: str):
    raise CodecError(f"{text} is not JSON")


def dumps(message) -> bytes:
    """The JSON bytes of a message (no NaN or infinity: :func:`encode` tags those)."""
    return json.dumps(message, allow_nan=False).encode("utf-8")


def loads(raw: bytes):
    """Parse one message's JSON with bounded integers; every failure is a :class:`CodecError`."""
    if len(raw) > MAX_MESSAGE:
        raise CodecError("message too large")
    try:
        return json.loads(raw, parse_int=_bounded_int, parse_constant=_no_constant)
    except CodecError:
        raise
    except (ValueError, RecursionError, MemoryError, TypeError) as exc:
        raise CodecError(f"not a message ({type(exc).__name__})") from None


def decode(data, depth: int = 0, _count: list | None = None):
    """The value :func:`encode` described; never executes code of the sender.

    Everything is bounded: nesting (:data:`MAX_DEPTH`), number of values
    (:data:`MAX_ITEMS`), digits of integers, array sizes (the data must be
    there) and the modules' sizes (their weights must be there). Anything else
    raises :class:`CodecError`."""
    count = [0] if _count is None else _count
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
        raise CodecError("value nested too deeply or too large")
    if data is None or isinstance(data, (bool, float, str)):
        return data
    if isinstance(data, int):
        if abs(data) >= 2**63:
            raise CodecError("integer out of range")
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1, count) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise CodecError(f"unexpected {type(data).__name__}")
    tag = next(iter(data))
    if not (isinstance(tag, str) and tag.startswith("__")):
        raise CodecError("unknown tag")
    if tag == "__float__":
        if data[tag] not in ("nan", "inf", "-inf"):
            raise CodecError("bad float")
        return float(data[tag])
    if tag == "__bigint__":
        text = data[tag]
        if not isinstance(text, str) or len(text) > MAX_DIGITS or not re.fullmatch(r"-?\d+", text):
            raise CodecError("bad integer")
        return int(text)
    if tag == "__ellipsis__":
        return Ellipsis
    if tag == "__complex__":
        parts = [decode(v, depth + 1, count) for v in _list(data[tag], 2)]
        if not all(isinstance(p, float) or type(p) is int for p in parts):
            raise CodecError("bad complex number")
        return complex(*parts)
    if tag == "__tuple__":
        return tuple(decode(v, depth + 1, count) for v in _list(data[tag]))
    if tag == "__dict__":
        out = {}
        for pair in _list(data[tag]):
            k, v = _list(pair, 2)
            if not isinstance(k, str):
                raise CodecError("dict key is not a string")
            out[k] = decode(v, depth + 1, count)
        return out
    if tag == "__nd__":
        return _array(data)
    if tag == "__tensor__":
        import numpy as np
        import torch
        arr = decode(data[tag], depth + 1, count)
        if not isinstance(arr, (np.ndarray, np.generic)):
            raise CodecError("bad tensor")
        t = torch.from_numpy(np.array(arr, copy=True))
        return t.requires_grad_(data.get("requires_grad") is True) if t.is_floating_point() else t
    if tag == "__module__":
        return _module(data, depth, count)
    if tag == "__opaque__":
        return Opaque(str(data[tag]))
    raise CodecError("unknown tag")


def _list(value, n: int | None = None) -> list:
    if not isinstance(value, list) or (n is not None and len(value) != n):
        raise CodecError("malformed value")
    return value


def _array(data: dict):
    import numpy as np
    dtype_text, shape, b64 = data.get("__nd__"), data.get("shape"), data.get("b64")
    if not (isinstance(dtype_text, str) and _DTYPE.fullmatch(dtype_text)) or not isinstance(b64, str):
        raise CodecError("bad array")
    dtype = np.dtype(dtype_text)
    shape = _list(shape)
    if len(shape) > MAX_NDIM or not all(type(n) is int and 0 <= n <= MAX_MESSAGE for n in shape):
        raise CodecError("bad array shape")
    size = 1
    for n in shape:                      # each factor is small: no huge products are ever formed
        size *= n
        if size * dtype.itemsize > MAX_MESSAGE:
            raise CodecError("array shape does not match its data")
    if len(b64) != 4 * math.ceil(size * dtype.itemsize / 3):
        raise CodecError("array shape does not match its data")
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        raise CodecError("bad array data") from None
    if len(raw) != size * dtype.itemsize:
        raise CodecError("array shape does not match its data")
    arr = np.frombuffer(raw, dtype=dtype).reshape(tuple(shape)).copy()
    return arr[()] if data.get("scalar") is True else arr


def _module(data: dict, depth: int, count: list):
    """A ``torch.nn`` module whose size is that of the weights sent with it (nothing larger is built)."""
    import torch
    name = data.get("__module__")
    if name not in _MODULES or not isinstance(data.get("state"), dict):
        raise CodecError("module type not allowed")
    kwargs = decode(data.get("kwargs"), depth + 1, count)
    if not isinstance(kwargs, dict):
        raise CodecError("bad module arguments")
    for k, v in kwargs.items():
        kind = _MODULE_ARGS.get(k)
        ok = kind is not None and (isinstance(v, kind) if kind is not int else type(v) is int and 0 <= v < 2**31)
        if not ok or (k == "nonlinearity" and v not in ("tanh", "relu")) or (k == "dropout" and not 0 <= v <= 1):
            raise CodecError(f"bad module argument {k}")
    state = {str(k): decode(v, depth + 1, count) for k, v in data["state"].items()}
    if not state or not all(isinstance(v, torch.Tensor) and v.is_floating_point() for v in state.values()):
        raise CodecError("bad module weights")
    if name != "LSTM" and kwargs.get("proj_size") == 0:
        del kwargs["proj_size"]
    want = _module_shapes(name, kwargs)       # arithmetic only: a forged size builds nothing
    if want != {k: tuple(v.shape) for k, v in state.items()}:
        raise CodecError("module weights do not match its size")
    try:
        mod = getattr(torch.nn, name)(**kwargs, device="meta")      # shapes only, no memory
    except (TypeError, ValueError, RuntimeError) as exc:
        raise CodecError(f"bad module arguments ({type(exc).__name__})") from None
    want = {k: tuple(v.shape) for k, v in mod.state_dict().items()}
    if want != {k: tuple(v.shape) for k, v in state.items()}:
        raise CodecError("module weights do not match its size")
    dtype = next(iter(state.values())).dtype
    mod = mod.to_empty(device="cpu").to(dtype)
    mod.load_state_dict({k: v.detach() for k, v in state.items()})
    return mod


def _module_shapes(name: str, kwargs: dict) -> dict:
    """The names and shapes of the weights of ``torch.nn.<name>(**kwargs)``, computed without
    building it; :class:`CodecError` if a size is missing or beyond :data:`MAX_LAYERS`,
    :data:`MAX_FEATURES` or :data:`MAX_PARAMETERS`.

    >>> _module_shapes("Linear", {"in_features": 3, "out_features": 2, "bias": True})
    {'weight': (2, 3), 'bias': (2,)}
    """
    def size(key, default=None, low=1, high=MAX_FEATURES):
        v = kwargs.get(key, default)
        if type(v) is not int or not low <= v <= high:
            raise CodecError(f"bad module argument {key}")
        return v
    bias = kwargs.get("bias", True)
    if name == "Linear":
        n_in, n_out = size("in_features", low=0), size("out_features", low=0)
        shapes = {"weight": (n_out, n_in), **({"bias": (n_out,)} if bias else {})}
    else:
        n_in, hidden = size("input_size", low=0), size("hidden_size")
        layers = size("num_layers", 1, high=MAX_LAYERS)
        proj = size("proj_size", 0, low=0, high=hidden - 1)
        if proj and name != "LSTM":
            raise CodecError("bad module argument proj_size")
        gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[name] * hidden
        out = proj or hidden
        shapes = {}
        for layer in range(layers):
            for sfx in ("", "_reverse") if kwargs.get("bidirectional") else ("",):
                width = n_in if layer == 0 else out * (2 if kwargs.get("bidirectional") else 1)
                shapes[f"weight_ih_l{layer}{sfx}"] = (gates, width)
                shapes[f"weight_hh_l{layer}{sfx}"] = (gates, out)
                if bias:
                    shapes[f"bias_ih_l{layer}{sfx}"] = (gates,)
                    shapes[f"bias_hh_l{layer}{sfx}"] = (gates,)
                if proj:
                    shapes[f"weight_hr_l{layer}{sfx}"] = (proj, hidden)
    if sum(math.prod(s) for s in shapes.values()) > MAX_PARAMETERS:
        raise CodecError("module larger than the marker accepts")
    return shapes


def write_message(stream, message: dict) -> None:
    raw = dumps(message)
    if len(raw) > MAX_MESSAGE:
        raw = dumps({"op": message.get("op"),
                     "error": f"the value is larger than the {MAX_MESSAGE // 2**20} MiB a message may hold"})
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
    msg = loads(raw)
    if not isinstance(msg, dict):
        raise CodecError("a message must be a JSON object")
    return msg


def _short_error(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 500 else text[:497] + "..."


def _end_strays(me: int) -> None:  # pragma: no cover - runs inside the sandbox
    """End every process the submission left behind (a fork bomb's survivors would hold the
    process limit), then collect our own dead children. Inside the sandbox's own process
    namespace kill(-1) spares this process and the namespace's init. One kill(-1) is not
    enough: a process that was forking while it ran can leave a child it never saw. So
    repeat until kill(-1) finds nothing to signal, reaping our own dead children in between
    (a zombie still counts against the process limit), for at most 10 s."""
    import signal
    import time
    stop = time.monotonic() + 10.0
    while time.monotonic() < stop:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            break                       # nothing left but us and the namespace's init
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.005)
    while True:
        try:
            os.waitpid(-1, 0)
        except OSError:
            break


def serve(inp, out) -> None:  # pragma: no cover - runs inside the sandbox
    """Answer the marker's messages until it closes the channel."""
    shell, reap, me = None, False, os.getpid()

    def only_me():
        # a process the submission forked returns here too: it must not answer the marker
        if os.getpid() != me:
            os._exit(0)
        if reap:
            _end_strays(me)

    while True:
        msg = read_message(inp)
        if msg is None:
            return
        op = msg.get("op")
        if op == "start":
            # import what the submission will use before its code runs
            import numpy  # noqa: F401
            reap = bool(msg.get("reap"))       # only ever true inside bubblewrap's pid namespace
            for name in msg.get("preload", []):
                try:
                    __import__(name)
                except Exception:
                    pass
            with open(msg["notebook_name"], "w", encoding="utf-8") as f:
                f.write(msg["notebook"])       # otter.Notebook("chNN.ipynb") reads it here
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config
            cfg = Config()
            cfg.HistoryManager.enabled = False
            shell = InteractiveShell.instance(config=cfg)
            shell.enable_gui = lambda gui=None: None     # `%matplotlib inline` works without a kernel
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
            reply = {"op": "result", "value": None, "error": None}
            try:
                # the arguments are decoded afresh: what the function does to them stays here
                value = shell.user_ns[msg["name"]](*decode(msg["args"]), **decode(msg["kwargs"]))
                reply["value"] = encode(value)
            except BaseException as exc:   # noqa: BLE001 - the student's exception is the answer
                only_me()
                reply["error"] = _short_error(exc)
            only_me()
            write_message(out, reply)
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
