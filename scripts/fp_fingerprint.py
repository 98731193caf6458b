"""Print what the current floating-point configuration computes, in one line.

`make test` runs the notebooks and the library tests again under other
floating-point configurations (torch's non-vectorised kernels,
``ATEN_CPU_CAPABILITY=default``; MKL's conditional-numerical-reproducibility
paths, ``MKL_CBWR=...``). This line shows that each configuration really
changes the arithmetic: the kernel path torch uses, a checksum of the last
bits of a float64 matrix product, and the peak gradient norm of one unclipped
chapter-4 training run, a chaotic quantity that differs from configuration to
configuration. Nothing is asserted here: the tests and notebooks that follow
must pass whatever these numbers are.
"""

import hashlib
import os

import numpy as np
import torch

from lyaplearn import rnn


def main() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 96, 96, generator=g, dtype=torch.float64)
    digest = hashlib.sha1((a @ b).numpy().tobytes()).hexdigest()[:10]
    x = np.linspace(-3.0, 3.0, 4097)
    np_digest = hashlib.sha1(np.tanh(x).tobytes() + np.exp(x).tobytes()).hexdigest()[:10]
    run = rnn.train_recall(max_norm=None, lr=0.1, steps=150, seed=0)
    env = " ".join(f"{k}={os.environ[k]}" for k in
                   ("ATEN_CPU_CAPABILITY", "NPY_DISABLE_CPU_FEATURES", "MKL_CBWR")
                   if os.environ.get(k)) or "(defaults)"
    print(f"fp configuration {env}: torch kernels {torch.backends.cpu.get_cpu_capability()}, "
          f"torch matmul checksum {digest}, numpy tanh/exp checksum {np_digest}, unclipped chapter-4 run peaks at "
          f"{run.grad_norms.max():.4g}")


if __name__ == "__main__":
    main()
