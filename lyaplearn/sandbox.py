"""Running untrusted notebooks for marking: an isolated process that answers calls.

:class:`Session` starts ``lyaplearn/_sandbox_worker.py`` in a sandbox made with
Debian's ``bubblewrap`` (``bwrap``) and talks to it over a pipe. Inside the sandbox:

* the file system holds the system's programs and this Python environment, read
  only, and an empty writable home with the submitted notebook in it: no hidden
  tests, no autograder files, no other submission, not even ``lyaplearn``;
* there is no network (a fresh network namespace with no interface but loopback);
* the code runs as the unprivileged user ``nobody`` when marking as root (as
  the invoking user in a user namespace otherwise), with ``no_new_privs``;
* resource limits cap its memory (address space), the number of its processes
  (a fork bomb fails at ``Limits.processes``), the size of the files it writes,
  and a wall-clock deadline, past which the whole sandbox (its own process
  namespace) is killed.

Values cross the boundary as plain data (``lyaplearn._sandbox_worker.encode``),
never as pickles: a submission can only ever hand back numbers, arrays and the like.

Examples
--------
>>> Limits().memory_bytes // 2**30
4
>>> Limits(notebook_seconds=0)
Traceback (most recent call last):
...
ValueError: notebook_seconds must be a positive number of seconds, got 0
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lyaplearn import _sandbox_worker as wire

__all__ = ["Limits", "SandboxError", "SandboxTimeout", "SubmissionError", "sandbox_command", "bwrap_usable",
           "Session", "RemoteFunction"]

WORKER = Path(wire.__file__).resolve()
#: Where the submission's working folder (its home) is inside the sandbox.
HOME = "/home/student"


class SandboxError(RuntimeError):
    """The sandbox could not be started or broke the protocol."""


class SandboxTimeout(SandboxError):
    """The submission ran past its deadline; the sandbox was killed."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission (every field must be positive)."""

    #: Wall-clock seconds for running all code cells of the notebook.
    notebook_seconds: float = 300.0
    #: Wall-clock seconds for one call of a submitted function by a test.
    call_seconds: float = 60.0
    #: Address-space limit of every process in the sandbox, in bytes.
    memory_bytes: int = 4 * 2**30
    #: Most processes (and threads) the sandbox may have at once.
    processes: int = 128
    #: Largest file the submission may write, in bytes.
    file_bytes: int = 64 * 2**20

    def __post_init__(self):
        for name in ("notebook_seconds", "call_seconds"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {v!r}")
        for name in ("memory_bytes", "processes", "file_bytes"):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")


def bwrap_usable() -> str | None:
    """``None`` if bubblewrap can make a sandbox here, else the reason it cannot."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap` (scripts/ensure_debian.sh bubblewrap)"
    cmd = [exe, *_binds(), "--unshare-net", "--unshare-pid", "--die-with-parent"]
    if os.geteuid() != 0:
        cmd.append("--unshare-user")
    try:
        r = subprocess.run([*cmd, "/bin/true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start: {exc}"
    if r.returncode != 0:
        return f"bwrap cannot create a sandbox here: {r.stderr.decode(errors='replace').strip()}"
    return None


def _binds() -> list[str]:
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), top]
        elif p.is_dir():
            args += ["--ro-bind", top, top]
    seen = set()
    for prefix in (sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parents[1]), HOME, "/grader/x"):
        if prefix in seen or prefix.startswith("/usr"):
            continue
        seen.add(prefix)
        # bubblewrap makes missing parent folders private (0700): make them traversable
        for parent in reversed(Path(prefix).parents[:-1]):
            if str(parent) not in seen:
                seen.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        if prefix not in (HOME, "/grader/x"):
            args += ["--ro-bind", prefix, prefix]
    return args + ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]


def sandbox_command(use_bwrap: bool = True) -> list[str]:
    """The command line that starts the worker (inside bubblewrap unless ``use_bwrap`` is false)."""
    python = [sys.executable, "-I", "-X", "utf8"]
    if not use_bwrap:
        return [*python, str(WORKER)]
    cmd = [shutil.which("bwrap") or "bwrap", *_binds(), "--tmpfs", HOME, "--chdir", HOME,
           "--ro-bind", str(WORKER), "/grader/worker.py",
           "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:
        # drop to nobody once the mounts are made: no capabilities, a process count of its own
        cmd += ["--chmod", "0777", HOME, "--chmod", "0777", "/tmp", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    else:
        cmd = [cmd[0], "--unshare-user", *cmd[1:]]
    return cmd + [*python, "/grader/worker.py"]


def _user_processes() -> int:
    uid, n = os.getuid(), 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if d.stat().st_uid == uid:
                    n += len(os.listdir(d / "task"))
            except OSError:
                pass
    return n


class RemoteFunction:
    """A function of the submission: calling it runs it in the sandbox."""

    def __init__(self, session, name: str):
        self._session, self.__name__ = session, name

    def __repr__(self):
        return f"<submitted function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        return self._session.call(self.__name__, args, kwargs)


class SubmissionError(Exception):
    """The submitted function raised; the message names the student's exception."""


class Session:
    """One sandboxed worker running one submission.

    Parameters
    ----------
    notebook_text : str
        The submitted notebook (JSON text); written into the sandbox's home as
        ``notebook_name``, where otter's ``Notebook`` reads its public checks.
    notebook_name : str
        File name the notebook gets in the sandbox (``chNN.ipynb``).
    limits : Limits
    use_bwrap : bool
        False only for machines without bubblewrap, when the teacher accepts
        running submissions unisolated (resource limits still apply).
    """

    def __init__(self, notebook_text: str, notebook_name: str, limits: Limits = Limits(), use_bwrap: bool = True):
        if not isinstance(limits, Limits):
            raise ValueError(f"limits must be a lyaplearn.sandbox.Limits, got {type(limits).__name__}")
        self.limits, self.use_bwrap = limits, use_bwrap
        self._proc = None
        self._tmp = None
        cwd = None
        if not use_bwrap:
            import tempfile
            self._tmp = tempfile.TemporaryDirectory(prefix="lyaplearn-sandbox-")
            cwd = self._tmp.name
        env = {"PATH": "/usr/bin:/bin", "HOME": HOME if use_bwrap else cwd, "LANG": "C.UTF-8",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/mpl" if use_bwrap else cwd,
               "PYTHONDONTWRITEBYTECODE": "1", "MALLOC_ARENA_MAX": "2"}
        nproc = limits.processes + (0 if os.geteuid() == 0 else _user_processes())
        # util-linux's prlimit sets the limits in the new process before bubblewrap starts
        # (inherited by everything inside); no preexec_fn, which is unsafe in a threaded marker
        prlimit = shutil.which("prlimit")
        if prlimit is None:
            raise SandboxError("prlimit (util-linux) is needed to limit the submission's resources")
        limit = [prlimit, f"--as={limits.memory_bytes}", f"--nproc={nproc}", f"--fsize={limits.file_bytes}",
                 "--core=0", "--"]
        try:
            self._proc = subprocess.Popen([*limit, *sandbox_command(use_bwrap)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                                          start_new_session=True)
        except OSError as exc:
            raise SandboxError(f"could not start the sandbox: {exc}") from exc
        preload = [m for m in ("torch", "otter") if m in notebook_text]
        self._send({"op": "start", "notebook": notebook_text, "notebook_name": notebook_name, "preload": preload,
                    "reap": bool(use_bwrap)})
        self._receive("started", time.monotonic() + 120)

    # -- the channel ---------------------------------------------------------
    def _send(self, msg: dict) -> None:
        try:
            wire.write_message(self._proc.stdin, msg)
        except (BrokenPipeError, OSError) as exc:
            self.close()
            raise SandboxError("the sandbox closed its channel (it crashed or was killed)") from exc

    def _read_exact(self, n: int, deadline: float) -> bytes:
        fd, chunks, got = self._proc.stdout.fileno(), [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise SandboxTimeout("time limit reached")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                self.close()
                raise SandboxError("the sandbox stopped (it crashed, ran out of memory or was killed)")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _receive(self, op: str, deadline: float) -> dict:
        import json
        head = self._read_exact(8, deadline)
        try:
            n = int(head, 16)
        except ValueError:
            self.close()
            raise SandboxError("the sandbox broke the protocol") from None
        if n > wire.MAX_MESSAGE:
            self.close()
            raise SandboxError("the sandbox sent an oversized message")
        try:
            msg = json.loads(self._read_exact(n, deadline))
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or msg.get("op") != op:
            self.close()
            raise SandboxError(f"the sandbox broke the protocol (expected {op!r})")
        return msg

    # -- what the marker asks ---------------------------------------------------
    def run_cell(self, index: int, source: str, deadline: float) -> str | None:
        """Run one code cell; returns the cell's error (``"Type: message"``) or None."""
        self._send({"op": "cell", "index": index, "source": source})
        err = self._receive("cell", deadline).get("error")
        return None if err is None else str(err)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def values(self, names, caller=None) -> dict:
        """The submission's variables ``names``: functions as :class:`RemoteFunction`
        (whose calls go to ``caller.call``, this session by default), other values
        decoded; a missing name is absent from the result."""
        self._send({"op": "get", "names": list(names)})
        raw = self._receive("values", time.monotonic() + self.limits.call_seconds)["values"]
        out = {}
        for name, data in raw.items():
            if isinstance(data, dict) and "__missing__" in data:
                continue
            if isinstance(data, dict) and "__callable__" in data:
                out[name] = RemoteFunction(caller or self, name)
            else:
                out[name] = wire.decode(data)
        return out

    def call(self, name: str, args, kwargs):
        import numpy as np

        if not self.alive:
            raise SandboxError(f"cannot call {name}: the sandbox has stopped")
        self._send({"op": "call", "name": name, "args": wire.encode(list(args)), "kwargs": wire.encode(dict(kwargs))})
        try:
            reply = self._receive("result", time.monotonic() + self.limits.call_seconds)
        except SandboxTimeout:
            raise SandboxTimeout(f"{name}(...) ran longer than {self.limits.call_seconds:g} s and was stopped") from None
        if reply.get("error") is not None:
            raise SubmissionError(f"{name} raised {reply['error']}")
        # arrays the submission changed in place are changed here too (a test may check that)
        after = [wire.decode(a) for a in reply.get("args_after", [])]
        torch = sys.modules.get("torch")
        for orig, new in zip(args, after):
            if isinstance(orig, np.ndarray) and isinstance(new, np.ndarray) and orig.shape == new.shape \
                    and orig.flags.writeable:
                np.copyto(orig, new, casting="unsafe")
            elif torch is not None and isinstance(orig, torch.Tensor) and isinstance(new, torch.Tensor) \
                    and orig.shape == new.shape and not orig.requires_grad:
                with torch.no_grad():
                    orig.copy_(new)
        return wire.decode(reply.get("value"))

    def integrity(self) -> tuple[list[str], list[str]]:
        """``(guarded names the submission replaced, suspicious actions)``, as the worker saw them."""
        self._send({"op": "integrity"})
        msg = self._receive("integrity", time.monotonic() + self.limits.call_seconds)
        return [str(x) for x in msg.get("changed", [])][:20], [str(x) for x in msg.get("suspicious", [])][:20]

    def close(self) -> None:
        """Kill the sandbox and everything in it."""
        p = self._proc
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                p.kill()
        if p is not None:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            for f in (p.stdin, p.stdout):
                try:
                    f.close()
                except OSError:
                    pass
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
