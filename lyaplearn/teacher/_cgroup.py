"""A control group per submission: one memory budget and one process count for a whole sandbox.

Resource limits (``setrlimit``) are per process: five processes of 4 GiB each hold 20 GiB.
A control group bounds what all the processes of one submission use *together*, as
IOI's ``isolate`` does for its boxes. :meth:`Cgroup.make` creates one with the kernel's
own interface (no daemon, no extra package):

* cgroup v2 (a ``cgroup2`` mount that offers the ``memory`` and ``pids`` controllers):
  ``memory.max``, ``memory.swap.max = 0`` and ``pids.max`` in a new group at the root of
  the hierarchy (the root may hold processes and children alike);
* cgroup v1 (the ``memory`` and ``pids`` hierarchies, as on hybrid machines):
  ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes``: no swap either) and
  ``pids.max``, in a new group inside the marker's own.

Only root may make them here; elsewhere (a teacher marking as an ordinary user)
:meth:`Cgroup.make` returns ``None`` and the sandbox falls back on its per-process
limits, whose product (processes x address space) is then the bound.

The sandbox's first process enters the group itself before it starts anything
(:meth:`Cgroup.wrap`: a ``/bin/sh`` that writes its own process id into the group
and then ``exec``\\ s the sandbox), so nothing it starts is ever outside.

Examples
--------
>>> Cgroup.make(memory_bytes=0, processes=1)
Traceback (most recent call last):
...
ValueError: memory_bytes and processes must be positive, got 0 and 1
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

__all__ = ["Cgroup"]

_serial = itertools.count()


def _mounts() -> list[tuple[str, str, set[str]]]:
    out = []
    try:
        for line in Path("/proc/self/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
                out.append((parts[1], parts[2], set(parts[3].split(","))))
    except OSError:
        pass
    return out


def _own_paths() -> dict[str, str]:
    """``{controller or "": path}`` of this process's groups (v2's line has the key "")."""
    own = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            for c in (ctrls.split(",") if ctrls else [""]):
                own[c] = path
    except (OSError, ValueError):
        pass
    return own


class Cgroup:
    """One group (v2) or one group per controller (v1), with its limits set."""

    def __init__(self, dirs: list[Path], version: int):
        self.dirs, self.version = dirs, version

    @classmethod
    def make(cls, memory_bytes: int, processes: int) -> "Cgroup | None":
        """A new group limited to ``memory_bytes`` and ``processes``, or ``None`` where none can be made."""
        if not (isinstance(memory_bytes, int) and isinstance(processes, int) and memory_bytes > 0 and processes > 0):
            raise ValueError(f"memory_bytes and processes must be positive, got {memory_bytes!r} and {processes!r}")
        if os.geteuid() != 0:
            return None
        name = f"lyaplearn-sandbox-{os.getpid()}-{next(_serial)}"
        mounts, own = _mounts(), _own_paths()
        v1 = {c: m for m, kind, opts in mounts if kind == "cgroup" for c in ("memory", "pids") if c in opts}
        made: list[Path] = []
        try:
            if set(v1) == {"memory", "pids"}:
                for c in ("memory", "pids"):
                    parent = Path(v1[c] + own.get(c, "/"))
                    if not parent.is_dir():
                        parent = Path(v1[c])
                    d = parent / name
                    d.mkdir()
                    made.append(d)
                mem, pids = made
                (mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
                if (mem / "memory.memsw.limit_in_bytes").exists():
                    (mem / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
                (pids / "pids.max").write_text(str(processes))
                return cls(made, 1)
            v2 = next((m for m, kind, _ in mounts if kind == "cgroup2"), None)
            if v2 is None or "memory" in v1:
                return None
            root = Path(v2)
            if not {"memory", "pids"} <= set((root / "cgroup.controllers").read_text().split()):
                return None
            if not {"memory", "pids"} <= set((root / "cgroup.subtree_control").read_text().split()):
                (root / "cgroup.subtree_control").write_text("+memory +pids")
            d = root / name
            d.mkdir()
            made.append(d)
            (d / "memory.max").write_text(str(memory_bytes))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
            (d / "pids.max").write_text(str(processes))
            return cls(made, 2)
        except OSError:
            for d in made:
                try:
                    d.rmdir()
                except OSError:
                    pass
            return None

    def wrap(self, command: list[str]) -> list[str]:
        """``command``, started by a shell that first moves itself into the group(s)."""
        procs = [str(d / "cgroup.procs") for d in self.dirs]
        script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", str(len(procs)), *procs, *command]

    def _pids(self) -> set[int]:
        pids = set()
        for d in self.dirs:
            try:
                pids |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return pids

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the group because the group ran out of memory."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (self.dirs[0] / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def reread_at_memory_limit(self, window: float = 0.5) -> int:
        """The bytes of the group's pages that the kernel read back after evicting them (its
        workingset refaults) during ``window`` seconds, if the group's usage was within 16 MiB
        (or 2%, if less) of its limit at both ends; 0 otherwise, or if that is under 1% of the
        limit. At its limit the kernel reclaims the group's memory before it kills anything,
        and reading evicted pages back can slow the processes past any time limit. A group that
        only touched its limit earlier, or sits at it with page cache while it computes, rereads
        nothing; on a kernel that does not count refaults per group (before 5.9) none does."""
        def at_limit(now):
            return now is not None and now[0] >= now[1] - min(now[1] // 50, 16 * 2**20)

        first = self._memory_now()
        if not at_limit(first):
            return 0
        time.sleep(window)
        second = self._memory_now()
        if not at_limit(second):
            return 0
        reread = (second[2] - first[2]) * os.sysconf("SC_PAGE_SIZE")
        return reread if reread >= second[1] // 100 else 0

    def _memory_now(self) -> tuple[int, int, int] | None:
        """(usage, limit, pages read back after eviction so far), or ``None`` without a limit."""
        d = self.dirs[0]
        try:
            if self.version == 1:
                usage, limit = (int((d / f).read_text()) for f in ("memory.usage_in_bytes", "memory.limit_in_bytes"))
            else:
                usage, limit = int((d / "memory.current").read_text()), int((d / "memory.max").read_text())
            stat = dict(line.split() for line in (d / "memory.stat").read_text().splitlines())
        except (OSError, ValueError):
            return None
        refaults = ("workingset_refault_anon", "workingset_refault_file", "workingset_refault")
        return usage, limit, sum(int(stat.get(k, 0)) for k in refaults)

    def kill(self, seconds: float = 10.0) -> bool:
        """Kill every process in the group; True once it is empty."""
        stop = time.monotonic() + seconds
        if self.version == 2 and (self.dirs[0] / "cgroup.kill").exists():
            try:
                (self.dirs[0] / "cgroup.kill").write_text("1")
            except OSError:
                pass
        while True:
            pids = self._pids()
            if not pids:
                return True
            if time.monotonic() > stop:
                return False
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left and delete the group(s)."""
        self.kill()
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
