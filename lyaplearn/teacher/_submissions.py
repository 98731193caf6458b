"""The teacher's side of marking: submitted files read safely, and text made safe to show.

A folder of submissions comes from students, through a learning platform's zip: its
file names may not be UTF-8 (Latin-1 from zips made on Windows), it may hold symbolic
links (to the teacher's solutions, say), folders or pipes named ``*.ipynb``, and
notebooks with megabytes of outputs. Everything here reads such a folder without
following a link, without blocking on a pipe and within a size bound, and strips a
notebook to its code and text before it goes anywhere near the sandbox.

What the marker writes for people to read (the console, ``grades.csv``, the feedback
files) contains text chosen by students: their file names, their exceptions'
messages, their return values. :func:`printable` removes control characters (terminal
escape sequences, bidirectional overrides) and :func:`csv_cell` makes a cell that a
spreadsheet would read as a formula inert.

Examples
--------
>>> printable("ok\\x1b[2J\\u202enote\\n")
'ok[2Jnote\\n'
>>> csv_cell("=HYPERLINK(1)"), csv_cell("ada_ch01.ipynb")
("'=HYPERLINK(1)", 'ada_ch01.ipynb')
>>> display_name(b"caf\\xe9_ch01.ipynb")
'caf\\\\xe9_ch01.ipynb'
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_NOTEBOOK_BYTES", "Submission", "printable", "indented", "csv_cell", "display_name", "name_notes",
           "find", "read", "file_names"]

#: Largest submitted file that is read at all (outputs included), in bytes.
MAX_NOTEBOOK_BYTES = 64 * 2**20
#: The most memory (address space, bytes), CPU seconds and wall-clock seconds that reading one
#: notebook may take: its JSON is parsed, its code measured and read for tampering in a child
#: process under these limits, so that no file costs the marker more (a notebook of 80 MB of
#: empty JSON objects took 2 GB to parse).
READ_MEMORY, READ_CPU_SECONDS, READ_SECONDS = 2**30, 60, 90
_BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` without control characters (newlines kept if ``newlines``), format characters
    (bidirectional overrides and isolates, zero-width spaces), line or paragraph separators,
    or lone surrogates (shown as ``?``)."""
    text = str(text).translate(_BIDI).replace("\t", "    ")
    out = []
    for ch in text:
        if ch == "\n" and newlines:
            out.append(ch)
        elif unicodedata.category(ch) == "Cs":
            out.append("?")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch)
    return "".join(out)


def indented(text: str, indent: str = "      ") -> str:
    """``text`` made :func:`printable`, every line after its first starting with ``indent``: a
    student's message can never start a line of the feedback (and so never fake one).

    >>> print("  cell 3: " + indented("RuntimeError: ok\\n\\nAuto-graded: 11 / 11 points\\u2028q1: 2 / 2"))
      cell 3: RuntimeError: ok
    <BLANKLINE>
          Auto-graded: 11 / 11 pointsq1: 2 / 2
    """
    return printable(text).replace("\n", "\n" + indent)


def csv_cell(text: str) -> str:
    """A text cell of ``grades.csv``: printable, on one line, and never a spreadsheet formula."""
    text = printable(text, newlines=False)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def display_name(raw: bytes) -> str:
    """A file name as people should see it, in printable ASCII so that two different names never
    look alike: ``\\xNN`` for bytes that are not UTF-8 and for control characters, ``\\uNNNN``
    for every other character beyond ASCII (a zero-width space, a letter with an accent),
    ``\\\\`` for a backslash. Any backslash in it means it was escaped (:func:`name_notes`).

    >>> display_name("ctl1\\u200b_ch01.ipynb".encode()), display_name("a\\\\b_ch01.ipynb".encode())
    ('ctl1\\\\u200b_ch01.ipynb', 'a\\\\\\\\b_ch01.ipynb')
    """
    out = []
    for ch in raw.decode("utf-8", errors="surrogateescape"):
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= o <= 0xDCFF:                     # a byte that is not UTF-8
            out.append(f"\\x{o - 0xDC00:02x}")
        elif o < 32 or o == 127:
            out.append(f"\\x{o:02x}")
        elif o < 127:
            out.append(ch)
        else:
            out.append(f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
    return "".join(out)


def name_notes(name: str) -> list[str]:
    """The note to add for a :func:`display_name` that was escaped, if it was."""
    if "\\" not in name:
        return []
    return ["its file name holds characters beyond printable ASCII (or a backslash), "
            "shown escaped (\\xNN, \\uNNNN, \\\\)"]


@dataclass
class Submission:
    """One submitted file: where it is, its printable name, and the notebook or why there is none."""

    path: Path
    name: str
    nb: dict | None = None
    problem: str | None = None
    cells: list[tuple[int, str]] | None = None      # the code to run (``_submitted_code.runnable_cells``)
    found: list[str] | None = None                  # what it tampers with (``_submitted_code.tampering``)
    noted: list[str] | None = None                  # what the teacher may look at (``_submitted_code.reading``)


def find(folder: Path) -> list[Submission]:
    """Every ``*.ipynb`` entry of ``folder`` (not hidden ones), in the order of their names' bytes,
    read with :func:`read`; links and other non-files are there with the reason they are refused."""
    entries = []
    with os.scandir(os.fsencode(folder)) as it:
        for e in it:
            if e.name.endswith(b".ipynb") and not e.name.startswith(b"."):
                entries.append(e.name)
    return [read(Path(os.fsdecode(os.path.join(os.fsencode(folder), n)))) for n in sorted(entries)]


def read(path: Path) -> Submission:
    """The notebook at ``path``, outputs stripped, or the reason it cannot be marked."""
    sub = Submission(path=path, name=display_name(os.fsencode(path.name)))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            sub.problem = "a symbolic link, not a file: not read (hand in the notebook itself)"
        else:
            sub.problem = f"cannot be read ({exc.strerror})"
        return sub
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            sub.problem = "not a regular file (a folder, pipe or device named .ipynb): not read"
            return sub
        if st.st_size > MAX_NOTEBOOK_BYTES:
            sub.problem = f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB: not read"
            return sub
        chunks, size = [], 0
        while size <= MAX_NOTEBOOK_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_NOTEBOOK_BYTES:
            sub.problem = f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB: not read"
            return sub
    finally:
        os.close(fd)
    got = _read_in_child(b"".join(chunks))
    if "problem" in got:
        sub.problem = got["problem"]
    else:
        sub.nb, sub.found, sub.noted = got["nb"], got["found"], got["noted"]
        sub.cells = [(i, src) for i, src in got["cells"]]
    return sub


# run by a fresh interpreter (-I: no environment variables, no user site): loads this file and
# _submitted_code.py by path (no lyaplearn package, so no torch), reads the notebook from stdin
_CHILD = """
import importlib.util, json, os, sys
def load(name):
    spec = importlib.util.spec_from_file_location("_lyaplearn_" + name, os.path.join(sys.argv[1], name + ".py"))
    mod = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
out = load("_submissions")._analyse(sys.stdin.buffer.read(), load("_submitted_code"))
sys.stdout.write(json.dumps(out))
"""


def _limit_child() -> None:  # pragma: no cover - runs in the child, before it starts Python
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (READ_MEMORY, READ_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (READ_CPU_SECONDS, READ_CPU_SECONDS))


def _read_in_child(raw: bytes) -> dict:
    """:func:`_analyse` of ``raw`` run in a child process within :data:`READ_MEMORY`,
    :data:`READ_CPU_SECONDS` and :data:`READ_SECONDS`; a ``problem`` if it does not finish."""
    bounds = (f"{READ_MEMORY / 2**30:g} GiB of memory, {READ_CPU_SECONDS} s of CPU time "
              f"or {READ_SECONDS} s")
    try:
        r = subprocess.run([sys.executable, "-I", "-c", _CHILD, str(Path(__file__).parent)], input=raw,
                           capture_output=True, timeout=READ_SECONDS, preexec_fn=_limit_child, check=False)
    except subprocess.TimeoutExpired:
        return {"problem": f"reading it took more than {bounds}: not read, check by hand"}
    if r.returncode == 0:
        try:
            got = json.loads(r.stdout)
            if isinstance(got, dict) and ("problem" in got or {"nb", "cells", "found", "noted"} <= got.keys()):
                return got
        except ValueError:
            pass
    return {"problem": f"reading it took more than {bounds}: not read, check by hand"}


def _analyse(raw: bytes, code) -> dict:
    """The stripped notebook in ``raw``, its code to run and what it tampers with (``code`` is
    ``_submitted_code``), or the ``problem`` that stops it being read."""
    try:
        nb = strip(json.loads(raw))
    except (ValueError, RecursionError, TypeError, AttributeError):
        return {"problem": "not a notebook (not the JSON of a Jupyter notebook)"}
    except MemoryError:
        return {"problem": f"reading it took more than {READ_MEMORY / 2**30:g} GiB of memory: "
                           "not read, check by hand"}
    too = code.too_large(nb)
    if too:
        return {"problem": f"too large for the marker to read: {too}; not read, check by hand"}
    cells = code.runnable_cells(nb)
    found, noted = code.reading(cells)
    return {"nb": nb, "cells": cells, "found": found, "noted": noted}


def _text(source) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    raise TypeError("cell source")


def strip(nb: dict) -> dict:
    """The notebook's cells (type and source) and its ``otter`` and ``kernelspec`` metadata;
    no outputs, attachments or other metadata."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError("not a notebook")
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    cells = []
    for cell in nb["cells"]:
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            raise TypeError("cell type")
        new = {"cell_type": kind, "metadata": {}, "source": _text(cell.get("source", ""))}
        if kind == "code":
            new.update(outputs=[], execution_count=None)
        cells.append(new)
    return {"cells": cells, "metadata": {k: meta[k] for k in ("otter", "kernelspec") if k in meta},
            "nbformat": 4, "nbformat_minor": 5}


def file_names(names: list[str]) -> list[str]:
    """A distinct, safe file-name stem for each submission's feedback (``ada_ch01``, ...): a name
    that is safe as it is keeps it; one made safe (``a b_ch03`` gives ``a_b_ch03``) gets
    ``~2``, ``~3``, ... where that stem is taken, even by a name that comes later.

    >>> file_names(["a b_ch03.ipynb", "a_b_ch03.ipynb", "a?b_ch03.ipynb"])
    ['a_b_ch03~2', 'a_b_ch03', 'a_b_ch03~3']
    """
    out: list[str | None] = [None] * len(names)
    seen: set[str] = set()
    raw = [name[:-6] if name.endswith(".ipynb") else name for name in names]
    stems = [(re.sub(r"[^\w.-]", "_", r).lstrip(".") or "notebook")[:120] for r in raw]
    exact = [k for k in range(len(names)) if stems[k] == raw[k]]
    for k in exact + [k for k in range(len(names)) if stems[k] != raw[k]]:
        candidate, n = stems[k], 2
        while candidate in seen:
            candidate, n = f"{stems[k]}~{n}", n + 1
        seen.add(candidate)
        out[k] = candidate
    return out
