"""``python -m lyaplearn.longdelay [--quick]``: the chapter 10 experiment."""

import sys

from ._experiment import main

if __name__ == "__main__":
    sys.exit(main())
