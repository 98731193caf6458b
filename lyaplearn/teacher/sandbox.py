"""Running untrusted notebooks for marking: an isolated process that answers calls.

:class:`Session` starts the worker (``lyaplearn/teacher/_sandbox_worker.py``) in a sandbox made
with Debian's ``bubblewrap`` (``bwrap``) and talks to it over a pipe. Inside the sandbox:

* the file system holds the system's programs and this Python environment, read
  only (wherever it lives, ``/tmp`` and ``/home`` included), and three small writable
  folders of fixed size (an empty home with the submitted notebook in it, ``/tmp`` and
  ``/dev/shm``): no hidden tests, no autograder files, no other submission, not even
  ``lyaplearn``;
* there is no network (a fresh network namespace with no interface but loopback);
* the code runs as the unprivileged user ``nobody`` when marking as root (as
  the invoking user in a user namespace otherwise), with ``no_new_privs``, in a
  fresh, empty session keyring (``keyctl session``), under a seccomp filter that
  denies the system calls Docker's default profile denies (keyrings, ``ptrace``,
  ``bpf``, ``perf_event_open``, ``userfaultfd``, new namespaces, mounts, ...);
* the whole submission shares one memory budget and one process count (a control
  group, where the machine lets the marker make one; per-process limits otherwise,
  and always as well) and one wall-clock budget (:class:`Budget`) for everything it
  does: cells, restarts, reruns and every call of the tests. Past it, the sandbox is
  killed.

Values cross the boundary as plain, size-bounded data, never as pickles, and nothing
that comes out is trusted: every reply is decoded with bounds on its size, digits and
depth, and a reply that an honest worker never sends ends the session
(:class:`SandboxViolation`) and kills the sandbox.

Examples
--------
>>> Limits().memory_bytes // 2**30
4
>>> Limits(notebook_seconds=0)
Traceback (most recent call last):
...
ValueError: notebook_seconds must be a finite real number > 0, got 0
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lyaplearn._checks import _check_float, _check_int
from lyaplearn.teacher import _sandbox_worker as wire
from lyaplearn.teacher._cgroup import Cgroup
from lyaplearn.teacher._seccomp import SeccompUnavailable, bpf_program

__all__ = ["Limits", "Budget", "SandboxError", "SandboxTimeout", "SandboxViolation", "SubmissionError",
           "sandbox_command", "sandbox_usable", "Session", "RemoteFunction"]

WORKER = Path(wire.__file__).resolve()
#: Where the submission's working folder (its home) is inside the sandbox.
HOME = "/home/student"


class SandboxError(RuntimeError):
    """The sandbox could not be started, stopped, or broke the protocol."""


class SandboxTimeout(SandboxError):
    """The submission ran past a deadline; the sandbox was killed."""


class SandboxViolation(SandboxError):
    """The sandbox sent what an honest worker never sends; it was killed."""


class SubmissionError(Exception):
    """The submitted function raised; the message names the student's exception."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission (every field must be positive)."""

    #: Wall-clock seconds for the whole notebook: its cells, any restart or rerun of them,
    #: and every call of its functions by the tests, together.
    notebook_seconds: float = 300.0
    #: Wall-clock seconds for one call of a submitted function by a test (within the above).
    call_seconds: float = 60.0
    #: Memory of all the submission's processes together (control group), and the
    #: address space of any one of them, in bytes.
    memory_bytes: int = 4 * 2**30
    #: Most processes (and threads) the sandbox may have at once.
    processes: int = 128
    #: Largest file the submission may write, in bytes.
    file_bytes: int = 64 * 2**20
    #: Size of each writable folder (home, /tmp, /dev/shm), in bytes.
    disk_bytes: int = 256 * 2**20

    def __post_init__(self):
        # the shared checks (numpy numbers accepted, bools and infinities refused); the
        # checked value is stored, so a numpy number becomes a Python one
        for name in ("notebook_seconds", "call_seconds"):
            object.__setattr__(self, name, _check_float(getattr(self, name), name, positive=True))
        for name in ("memory_bytes", "processes", "file_bytes", "disk_bytes"):
            object.__setattr__(self, name, _check_int(getattr(self, name), name, 1))


class Budget:
    """One wall-clock budget shared by everything one submission does, and the record of
    whether any of its sessions ran out of its memory budget (``out_of_memory``: the kernel
    killed a process) or was stopped for time at it (``reread_at_memory``: the bytes the kernel
    read back in half a second after evicting them, see ``Cgroup.reread_at_memory_limit``).

    Examples
    --------
    >>> b = Budget(5.0)
    >>> 0 < b.left() <= 5.0 and not b.spent
    True
    """

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.deadline = time.monotonic() + self.seconds
        self.out_of_memory = False
        self.reread_at_memory = 0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def spent(self) -> bool:
        return self.left() <= 0


def _prefixes() -> list[str]:
    out = []
    for p in (sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parents[1])):
        p = os.path.realpath(p)
        if p not in out and not p.startswith("/usr/"):
            out.append(p)
    return out


def _binds(disk_bytes: int) -> list[str]:
    """The mounts: sized tmpfs first, so that a Python environment under /tmp or /home
    is bound on top of them, not hidden by them."""
    size = str(disk_bytes)
    # bubblewrap makes missing parent folders private (0700): make them traversable
    args = ["--perms", "0755", "--dir", "/home", "--perms", "0755", "--dir", "/grader",
            "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", HOME]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), top]
        elif p.is_dir():
            args += ["--ro-bind", top, top]
    made = {"/", "/tmp", "/home", HOME}
    for prefix in _prefixes():
        for parent in reversed(Path(prefix).parents[:-1]):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", prefix, prefix]
    return args + ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm"]


def sandbox_command(use_bwrap: bool = True, *, seccomp_fd: int | None = None,
                    limits: Limits | None = None) -> list[str]:
    """The command line that starts the worker (inside bubblewrap unless ``use_bwrap`` is false),
    with the seccomp filter read from ``seccomp_fd`` where given."""
    python = [sys.executable, "-I", "-X", "utf8"]
    if not use_bwrap:
        return [*python, str(WORKER)]
    limits = Limits() if limits is None else limits
    cmd = [shutil.which("bwrap") or "bwrap", *_binds(limits.disk_bytes), "--chdir", HOME,
           "--ro-bind", str(WORKER), "/grader/worker.py",
           "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:
        cmd += ["--chmod", "0777", HOME, "--chmod", "1777", "/tmp", "--chmod", "1777", "/dev/shm"]
    else:
        cmd.insert(1, "--unshare-user")
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/"]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    if os.geteuid() == 0:
        # drop to nobody once the mounts are made: no capabilities, a process count of its own
        cmd += ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    # a fresh, empty session keyring: the marker's (the teacher's) keys are not possessed inside
    return [shutil.which("keyctl") or "keyctl", "session", "-", *cmd, *python, "/grader/worker.py"]


def sandbox_usable() -> str | None:
    """``None`` if the sandbox can be made here, else the reason it cannot."""
    for exe, pkg in (("bwrap", "bubblewrap"), ("keyctl", "keyutils"), ("prlimit", "util-linux"),
                     ("setpriv", "util-linux")):
        if shutil.which(exe) is None:
            return f"{exe} is not installed: `apt-get install {pkg}` (scripts/ensure_debian.sh sandbox)"
    try:
        program = bpf_program()
    except SeccompUnavailable as exc:
        return str(exc)
    r_fd, w_fd = os.pipe()
    try:
        os.write(w_fd, program)
        os.close(w_fd)
        cmd = sandbox_command(seccomp_fd=r_fd)
        cmd = cmd[:cmd.index(sys.executable)] + ["/bin/true"]
        r = subprocess.run(cmd, capture_output=True, timeout=30, pass_fds=(r_fd,))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the sandbox failed to start: {exc}"
    finally:
        os.close(r_fd)
    if r.returncode != 0:
        return f"bubblewrap cannot create the sandbox here: {r.stderr.decode(errors='replace').strip()[-500:]}"
    return None


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


class Session:
    """One sandboxed worker running one submission.

    Parameters
    ----------
    notebook_text : str
        The submitted notebook (JSON text, outputs stripped); written into the sandbox's
        home as ``notebook_name``, where otter's ``Notebook`` reads it.
    notebook_name : str
        File name the notebook gets in the sandbox (``chNN.ipynb``).
    limits : Limits
    use_bwrap : bool
        False only for machines without bubblewrap, when the teacher accepts
        running submissions unisolated (resource limits still apply).
    budget : Budget, optional
        The submission's wall-clock budget, shared with its other sessions; a new
        one of ``limits.notebook_seconds`` by default.
    """

    def __init__(self, notebook_text: str, notebook_name: str, limits: Limits = Limits(), use_bwrap: bool = True,
                 budget: Budget | None = None):
        if not isinstance(limits, Limits):
            raise ValueError(f"limits must be a lyaplearn.teacher.sandbox.Limits, got {type(limits).__name__}")
        self.limits, self.use_bwrap = limits, use_bwrap
        self.budget = Budget(limits.notebook_seconds) if budget is None else budget
        self._proc, self._tmp, self._cgroup = None, None, None
        self._stderr, self._startup_text = tempfile.TemporaryFile(), ""
        if self.budget.spent:
            raise SandboxTimeout("the notebook's time budget is spent")
        cwd = None
        if not use_bwrap:
            self._tmp = tempfile.TemporaryDirectory(prefix="lyaplearn-sandbox-")
            cwd = self._tmp.name
        env = {"PATH": "/usr/bin:/bin", "HOME": HOME if use_bwrap else cwd, "LANG": "C.UTF-8",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MPLBACKEND": "Agg", "MPLCONFIGDIR": (HOME if use_bwrap else cwd) + "/.mpl",
               "PYTHONDONTWRITEBYTECODE": "1", "MALLOC_ARENA_MAX": "2"}
        nproc = limits.processes + (0 if os.geteuid() == 0 else _user_processes())
        prlimit = shutil.which("prlimit")
        if prlimit is None:
            raise SandboxError("prlimit (util-linux) is needed to limit the submission's resources")
        # util-linux's prlimit sets the limits in the new process before bubblewrap starts
        # (inherited by everything inside); no preexec_fn, which is unsafe in a threaded marker
        cmd = [prlimit, f"--as={limits.memory_bytes}", f"--nproc={nproc}", f"--fsize={limits.file_bytes}",
               "--core=0", "--"]
        fds = ()
        try:
            if use_bwrap:
                program = bpf_program()
                r_fd, w_fd = os.pipe()
                os.write(w_fd, program)       # a few kB: fits the pipe's buffer
                os.close(w_fd)
                fds = (r_fd,)
            cmd += sandbox_command(use_bwrap, seccomp_fd=fds[0] if fds else None, limits=limits)
            self._cgroup = Cgroup.make(limits.memory_bytes, limits.processes)
            if self._cgroup is not None:
                cmd = self._cgroup.wrap(cmd)
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                          env=env, cwd=cwd, start_new_session=True, pass_fds=fds)
        except (OSError, SeccompUnavailable) as exc:
            self.close()
            raise SandboxError(f"could not start the sandbox: {exc}") from exc
        finally:
            for fd in fds:
                os.close(fd)
        preload = [m for m in ("torch", "otter") if m in notebook_text]
        try:
            self._send({"op": "start", "notebook": notebook_text, "notebook_name": notebook_name,
                        "preload": preload, "reap": bool(use_bwrap)})
            self._receive("started", time.monotonic() + 120)
        except SandboxError as exc:
            self.close()
            said = self.startup_errors()
            raise type(exc)(f"{exc}; it said: {said[-1000:]}" if said else str(exc)) from None

    # -- the channel ---------------------------------------------------------
    def _send(self, msg: dict) -> None:
        raw = wire.dumps(msg)
        if len(raw) > wire.MAX_MESSAGE:
            raise SandboxError(f"cannot send a message of {len(raw)} bytes into the sandbox")
        try:
            self._proc.stdin.write(b"%08x" % len(raw) + raw)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise self._stopped() from exc

    def _stopped(self) -> SandboxError:
        why = "it ran out of memory" if self._cgroup is not None and self._cgroup.out_of_memory() else \
            "it crashed, ran out of memory or was killed"
        self.close()
        return SandboxError(f"the sandbox stopped ({why})")

    def startup_errors(self) -> str:
        """What the sandbox's start-up wrote to its standard error (bubblewrap's complaints); the
        worker silences it before any submitted code runs."""
        if self._stderr is not None and not self._stderr.closed:
            try:
                self._stderr.seek(0)
                self._startup_text = self._stderr.read(4000).decode("utf-8", errors="replace").strip()
            except (OSError, ValueError):
                pass
        return self._startup_text

    def _violation(self, what: str) -> SandboxViolation:
        self.close()
        return SandboxViolation(f"the sandbox broke the protocol ({what})")

    def _read_exact(self, n: int, deadline: float) -> bytes:
        fd, chunks, got = self._proc.stdout.fileno(), [], 0
        deadline = min(deadline, self.budget.deadline)
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                try:
                    if self._cgroup is not None:
                        reread = self._cgroup.reread_at_memory_limit()
                        self.budget.reread_at_memory = max(self.budget.reread_at_memory, reread)
                finally:
                    self.close()
                raise SandboxTimeout("time limit reached")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise self._stopped()
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _receive(self, op: str, deadline: float) -> dict:
        if self._proc is None or self._proc.stdout.closed:
            raise SandboxError("the sandbox has stopped")
        head = self._read_exact(8, deadline)
        if not all(c in b"0123456789abcdef" for c in head):
            raise self._violation("bad header")
        n = int(head, 16)
        if n > wire.MAX_MESSAGE:
            raise self._violation("oversized message")
        try:
            msg = wire.loads(self._read_exact(n, deadline))
        except wire.CodecError as exc:
            raise self._violation(str(exc)) from None
        if not isinstance(msg, dict) or msg.get("op") != op:
            raise self._violation(f"expected {op!r}")
        return msg

    def _decode(self, data):
        try:
            return wire.decode(data)
        except Exception as exc:      # noqa: BLE001 - any failure of the decoder ends the session
            raise self._violation(f"{type(exc).__name__}: {str(exc)[:200]}") from None

    def _error_text(self, msg: dict) -> str | None:
        err = msg.get("error")
        if err is not None and not isinstance(err, str):
            raise self._violation("error is not a string")
        return None if err is None else err[:500]

    # -- what the marker asks ---------------------------------------------------
    def run_cell(self, index: int, source: str, deadline: float) -> str | None:
        """Run one code cell; returns the cell's error (``"Type: message"``) or None."""
        self._send({"op": "cell", "index": index, "source": source})
        return self._error_text(self._receive("cell", deadline))

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def values(self, names, caller=None) -> dict:
        """The submission's variables ``names``: functions as :class:`RemoteFunction`
        (whose calls go to ``caller.call``, this session by default), other values
        decoded; a missing name is absent from the result."""
        names = list(names)
        self._send({"op": "get", "names": names})
        raw = self._receive("values", time.monotonic() + self.limits.call_seconds).get("values")
        if not isinstance(raw, dict) or not set(raw) <= set(names):
            raise self._violation("values")
        out = {}
        for name, data in raw.items():
            if data == {"__missing__": 1}:
                continue
            if data == {"__callable__": name}:
                out[name] = RemoteFunction(caller or self, name)
            else:
                out[name] = self._decode(data)
        return out

    def call(self, name: str, args, kwargs):
        """Run the submission's ``name(*args, **kwargs)``. The arguments go in by value: what
        the function does to them stays in the sandbox."""
        if not self.alive:
            raise SandboxError(f"cannot call {name}: the sandbox has stopped")
        self._send({"op": "call", "name": name, "args": wire.encode(list(args)), "kwargs": wire.encode(dict(kwargs))})
        try:
            reply = self._receive("result", time.monotonic() + self.limits.call_seconds)
        except SandboxTimeout:
            if self.budget.spent:
                raise SandboxTimeout(f"{name}(...) was stopped: the notebook's time budget of "
                                     f"{self.budget.seconds:g} s is spent") from None
            raise SandboxTimeout(f"{name}(...) ran longer than {self.limits.call_seconds:g} s and was stopped") from None
        err = self._error_text(reply)
        if err is not None:
            raise SubmissionError(f"{name} raised {err}")
        return self._decode(reply.get("value"))

    def close(self) -> None:
        """Kill the sandbox and everything in it."""
        p = self._proc
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                p.kill()
        if self._cgroup is not None:
            self._cgroup.kill()
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
        if self._cgroup is not None:
            self.budget.out_of_memory |= self._cgroup.out_of_memory()
            self._cgroup.remove()
            self._cgroup = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if not self._stderr.closed:
            self.startup_errors()
            self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
