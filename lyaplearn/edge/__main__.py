"""``python -m lyaplearn.edge [--quick] [--out PATH]``: chapter 9's results file."""

import sys

from ._sizes import main

if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
