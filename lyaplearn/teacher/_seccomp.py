"""The seccomp filter of the marking sandbox: system calls a submission never needs.

The list follows Docker's default seccomp profile, which denies the calls that reach
kernel surface a container has no use for: the keyrings (``keyctl``, ``add_key``,
``request_key``), ``ptrace``, ``bpf``, ``perf_event_open``, ``userfaultfd``, new
namespaces (``unshare``, ``setns``, ``clone`` with a ``CLONE_NEW*`` flag), mounts,
kernel modules, ``kexec``, clocks, ``io_uring`` and so on. A denied call fails with
``EPERM``; ``clone3`` fails with ``ENOSYS`` (as in Docker) so that the C library
falls back to ``clone``, whose flags the filter can read.

The BPF program is compiled by libseccomp through Debian's ``python3-seccomp``
(its binding is built for Debian's own ``/usr/bin/python3``, so it runs there, in a
child process, whatever Python the marker runs on), and bubblewrap installs it with
``--seccomp FD`` just before it starts the worker. Nothing here is hand-assembled BPF.
Calls on another architecture's ABI (32-bit ``int 0x80``) kill the process:
libseccomp's default for a foreign architecture.

Examples
--------
>>> "keyctl" in DENIED and "ptrace" in DENIED and "read" not in DENIED
True
"""

from __future__ import annotations

import functools
import json
import subprocess

__all__ = ["DENIED", "SYSTEM_PYTHON", "bpf_program", "SeccompUnavailable"]

#: System calls that fail with EPERM in the sandbox (Docker's default profile's denials).
DENIED = (
    # keyrings: the teacher's secrets, and a channel between submissions
    "keyctl", "add_key", "request_key",
    # debugging, tracing and kernel programs
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "bpf", "perf_event_open",
    "userfaultfd", "lookup_dcookie", "fanotify_init", "open_by_handle_at", "name_to_handle_at",
    # namespaces and mounts
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr",
    # the kernel, clocks and the machine
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "syslog", "quotactl", "quotactl_fd", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm", "vhangup", "uselib",
    "ustat", "sysfs", "_sysctl", "nfsservctl", "create_module", "get_kernel_syms", "query_module",
    # asynchronous I/O rings: a large, often patched, surface
    "io_uring_setup", "io_uring_enter", "io_uring_register",
)
#: ``clone`` flags that make a new namespace (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
#: NEWPID, NEWNET): denied. (CLONE_NEWTIME only exists for clone3 and unshare, both denied.)
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
#: The interpreter that Debian's python3-seccomp is built for.
SYSTEM_PYTHON = "/usr/bin/python3"

_COMPILE = r"""
import errno, json, sys
import seccomp
names, flags = json.loads(sys.argv[1])
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
skipped = []
for name in names:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError, OSError):
        skipped.append(name)           # a call this kernel/libseccomp does not know
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
for flag in flags:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
sys.stderr.write(json.dumps(skipped))
f.export_bpf(sys.stdout)
"""


class SeccompUnavailable(RuntimeError):
    """The filter cannot be compiled here (the message says how to fix that)."""


@functools.lru_cache(maxsize=1)
def bpf_program() -> bytes:
    """The compiled filter (raw BPF for ``bwrap --seccomp``), made once per process."""
    try:
        r = subprocess.run([SYSTEM_PYTHON, "-I", "-c", _COMPILE, json.dumps([DENIED, NAMESPACE_FLAGS])],
                           capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SeccompUnavailable(f"cannot run {SYSTEM_PYTHON} to compile the seccomp filter: {exc}; "
                                 "install Debian's python3-seccomp (scripts/ensure_debian.sh sandbox)") from None
    if r.returncode != 0 or not r.stdout or len(r.stdout) % 8:
        why = r.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise SeccompUnavailable(f"cannot compile the seccomp filter ({why[0]}); install Debian's "
                                 "python3-seccomp (scripts/ensure_debian.sh sandbox)")
    try:
        skipped = json.loads(r.stderr.decode(errors="replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SeccompUnavailable("the seccomp filter's compiler did not say which calls it knows") from None
    if {"keyctl", "add_key", "request_key", "ptrace", "bpf", "unshare", "mount"} & set(skipped):
        raise SeccompUnavailable(f"libseccomp here does not know the system calls {skipped}")
    return r.stdout
