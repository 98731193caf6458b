"""pytest settings for ``pytest --nbval-lax book`` (the chapters' notebook tests).

The coursework masters in ``book/assignments/`` are teacher's notebooks in
otter-grader's format, checked by ``tests/test_coursework.py``; nbval leaves
them alone.
"""

collect_ignore = ["assignments"]


def _retry_kernel_start(start, tries: int = 3):
    """``start`` (nbval's kernel start), retried when the kernel dies before it answers.

    `make test` runs four stages side by side, each starting kernels; jupyter_client picks a
    kernel's TCP ports by binding and releasing them, so two processes can pick the same port,
    and the loser's kernel dies at start-up ("Kernel died before replying to kernel_info": one
    clean-clone run lost chapter 3 this way). A fresh start picks fresh ports. A kernel that
    dies ``tries`` times still fails the run.
    """
    def wrapped(*args, **kwargs):
        for attempt in range(tries):
            try:
                return start(*args, **kwargs)
            except RuntimeError:
                if attempt == tries - 1:
                    raise
    return wrapped


try:
    import nbval.kernel as _nbval_kernel
except ImportError:        # nbval is in the test extra only
    pass
else:
    _nbval_kernel.start_new_kernel = _retry_kernel_start(_nbval_kernel.start_new_kernel)
