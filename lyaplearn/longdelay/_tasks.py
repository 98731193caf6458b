"""Two tasks with a long time horizon: a delayed copy and a delayed XOR (chapter 10).

Both present one or two random bits (``-1`` or ``+1``) on the first input channel, then
``delay`` steps in which that channel is silent while the second channel carries random
``+-1`` distractors at every step; the answer is read from the network's last output. A
network solves them only by carrying the bits across the delay, so the gradient that
teaches it to do so passes through a product of ``delay`` Jacobians: the chain of
chapters 1-5. They are small versions of the kinds of task Engelken (2023) uses, written
so that the delay is the only thing that changes.

* **Delayed copy**: bit ``a`` at step 0; the target, read at step ``delay``, is ``a``.
* **Delayed XOR**: bits ``a`` at step 0 and ``b`` at step 1; the target, read at step
  ``delay + 1``, is ``+1`` when they differ and ``-1`` when they agree, i.e. ``-a b``.

References
----------
.. [1] Engelken, R. (2023). Gradient flossing: improving gradient descent through dynamic
   control of Jacobians. NeurIPS 36. arXiv:2312.17306.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._checks import _check_float, _check_int

TASKS = ("copy", "xor")


@dataclass
class TaskBatch:
    """A batch of one task.

    Attributes
    ----------
    inputs
        (n, T, 2): channel 0 the bits, channel 1 the distractors.
    targets
        (n,) the answer, ``-1.0`` or ``+1.0``, to be read at the last step.
    bits
        (n, m) the bits presented (``m = 1`` for copy, 2 for XOR).
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    bits: torch.Tensor


def _check(n, delay, distractor) -> tuple[int, int, float]:
    return (_check_int(n, "n", 1), _check_int(delay, "delay", 1),
            _check_float(distractor, "distractor", nonneg=True))


def _signs(gen: torch.Generator, shape, dtype) -> torch.Tensor:
    return torch.randint(0, 2, shape, generator=gen).to(dtype) * 2 - 1


def make_batch(task: str, n: int, delay: int, *, seed: int = 0, distractor: float = 1.0,
               dtype: torch.dtype = torch.float32) -> TaskBatch:
    """``n`` sequences of ``task`` (``"copy"`` or ``"xor"``) with the answer ``delay`` steps on.

    Parameters
    ----------
    task
        ``"copy"`` (one bit, ``T = delay + 1`` steps) or ``"xor"`` (two bits,
        ``T = delay + 2``).
    n
        Number of sequences.
    delay
        Steps from the last bit to the step whose output is read (at least 1).
    seed
        Seed of this batch's own generator: the same seed gives the same batch.
    distractor
        Amplitude of the ``+-1`` distractors on channel 1 (0 switches them off).
    dtype
        Floating dtype of the tensors.

    Examples
    --------
    >>> b = make_batch("xor", 4, 3, seed=1)
    >>> tuple(b.inputs.shape), bool((b.targets == -b.bits[:, 0] * b.bits[:, 1]).all())
    ((4, 5, 2), True)
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    n, delay, distractor = _check(n, delay, distractor)
    m = 1 if task == "copy" else 2
    gen = torch.Generator().manual_seed(int(seed))
    bits = _signs(gen, (n, m), dtype)
    T = delay + m
    x = torch.zeros(n, T, 2, dtype=dtype)
    x[:, :m, 0] = bits
    x[:, :, 1] = distractor * _signs(gen, (n, T), dtype)
    y = bits[:, 0] if task == "copy" else -bits[:, 0] * bits[:, 1]
    return TaskBatch(x, y.clone(), bits)


def delayed_copy(n: int, delay: int, **kwargs) -> TaskBatch:
    """The delayed copy task (:func:`make_batch` with ``task="copy"``)."""
    return make_batch("copy", n, delay, **kwargs)


def delayed_xor(n: int, delay: int, **kwargs) -> TaskBatch:
    """The delayed XOR task (:func:`make_batch` with ``task="xor"``)."""
    return make_batch("xor", n, delay, **kwargs)
