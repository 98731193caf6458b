"""The teacher's tools: coursework made and marked in a sandbox, and publishing the book.

A student needs none of this: the chapters' library (``lyaplearn.scalar`` to
``lyaplearn.edge``) imports nothing from here. A teacher installs it with its extra,
from a checkout of the repository (marking reads the masters in
``book/assignments/masters``, which the installed package does not hold)::

    pip install -e ".[teacher]"      # otter-grader, pinned; the old name [coursework] still works

and, for the sandbox, Debian's ``bubblewrap``, ``keyutils`` and ``python3-seccomp``
(``bash scripts/ensure_debian.sh sandbox``). How teachers use it: the book's page
*Teaching with this book* (``book/teaching.md``).

Which file holds what:

========================  =====================================================================
file                      holds
========================  =====================================================================
``coursework.py``         :func:`~lyaplearn.teacher.coursework.generate` (``make assignments``)
                          and :func:`~lyaplearn.teacher.coursework.grade` (``make grade``), the
                          command line ``python -m lyaplearn.teacher.coursework``
``_masters.py``           a master's question blocks, and which questions are marked by hand
``_marking.py``           marking one notebook: its cells in a sandbox, its hidden tests here
``_submissions.py``       reading a folder of submissions safely; text made safe to show
``_submitted_code.py``    which cells run, and tampering judged from the notebook's text
``sandbox.py``            the sandbox (bubblewrap) and the session that calls into it
``_sandbox_worker.py``    the half that runs inside the sandbox, and the data format both share
``_seccomp.py``           the sandbox's seccomp filter
``_cgroup.py``            one memory and process budget per submission (a control group)
``publish.py``            the project's public home, the install cells, the student copies
                          (``python -m lyaplearn.teacher.publish``, ``make publish``)
========================  =====================================================================

The old paths ``lyaplearn.coursework``, ``lyaplearn.sandbox`` and ``lyaplearn.publish``
still work in this release, with a ``DeprecationWarning``.

Examples
--------
The otter-grader release the masters are written for, the one the extra pins:

>>> from lyaplearn.teacher import coursework
>>> coursework.OTTER_VERSION
'7.0.0'
"""
