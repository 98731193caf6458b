"""pytest settings for ``pytest --nbval-lax book`` (the chapters' notebook tests).

The coursework masters in ``book/assignments/`` are teacher's notebooks in
otter-grader's format, checked by ``tests/test_coursework.py``; nbval leaves
them alone.
"""

collect_ignore = ["assignments"]
