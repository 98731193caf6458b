"""What a flossing step costs, measured against a training step of the same model (chapter 10).

``python -m lyaplearn.flossing --bench`` prints the ratios for a few architectures and
sizes, and the memory of the flossing graph; :func:`step_costs` measures one setting and
:func:`graph_bytes` the memory. Both steps are timed side by side in one
run, alternating, so that a shared or throttled machine slows both alike; the ratio
reported is the median of the per-repetition ratios.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from .._checks import _check_int
from ._checks import arch_of
from ._floss import flossing_loss
from ._spectrum import ExplodingGradientWarning


@dataclass
class StepCosts:
    """Median seconds of one training step and one flossing step, and their ratio.

    Attributes
    ----------
    train
        Median seconds of a training step: forward through the module (torch's own
        kernels), a linear read-out, mean squared error, backward, Adam step.
    floss
        Median seconds of a flossing step: :func:`flossing_loss` on the same batch,
        backward, Adam step.
    ratio
        Median over repetitions of ``floss / train`` measured in the same repetition.
    ratios
        Every repetition's ratio.
    """

    train: float
    floss: float
    ratio: float
    ratios: list


def step_costs(rnn: nn.Module, inputs: torch.Tensor, k: int | None = None, *,
               repeats: int = 11, lr: float = 1e-3, **spectrum_kwargs) -> StepCosts:
    """Time one flossing step against one training step of the same model, side by side.

    Each repetition times a training step and a flossing step (in alternating order), each
    on its own copy of ``rnn`` so that neither changes the other's weights; one untimed
    repetition comes first.

    Parameters
    ----------
    rnn
        ``nn.RNN``, ``GRU`` or ``LSTM`` (copied, never modified).
    inputs
        The batch both steps use, as the module takes it.
    k, **spectrum_kwargs
        As in :func:`flossing_loss` (``reortho_every``, ``window``, ``truncate``, ...).
    repeats
        Timed repetitions.
    lr
        Adam's learning rate for both.

    Returns
    -------
    StepCosts

    Examples
    --------
    >>> import torch
    >>> c = step_costs(torch.nn.RNN(2, 8, batch_first=True), torch.randn(4, 20, 2), k=2,
    ...                repeats=3)
    >>> c.ratio > 0 and len(c.ratios) == 3
    True
    """
    arch_of(rnn)
    repeats = _check_int(repeats, "repeats", 1)
    dtype = rnn.weight_hh_l0.dtype
    device = rnn.weight_hh_l0.device
    train_rnn, floss_rnn = copy.deepcopy(rnn), copy.deepcopy(rnn)
    head = nn.Linear(rnn.hidden_size, 1, dtype=dtype, device=device)
    target = torch.zeros(1, dtype=dtype, device=device)
    opt_train = torch.optim.Adam(list(train_rnn.parameters()) + list(head.parameters()), lr=lr)
    opt_floss = torch.optim.Adam(floss_rnn.parameters(), lr=lr)

    def train_step():
        opt_train.zero_grad()
        out, _ = train_rnn(inputs)
        loss = nn.functional.mse_loss(head(out), target.expand(*out.shape[:-1], 1))
        loss.backward()
        opt_train.step()

    def floss_step():
        opt_floss.zero_grad()
        with warnings.catch_warnings():        # timing only: a chaotic model may warn
            warnings.simplefilter("ignore", ExplodingGradientWarning)
            loss = flossing_loss(floss_rnn, inputs, k, **spectrum_kwargs)
        loss.backward()
        opt_floss.step()

    def timed(fn):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - t0

    train_step()
    floss_step()
    t_train, t_floss, ratios = [], [], []
    for r in range(repeats):
        if r % 2:
            a = timed(floss_step)
            b = timed(train_step)
        else:
            b = timed(train_step)
            a = timed(floss_step)
        t_train.append(b)
        t_floss.append(a)
        ratios.append(a / b)
    return StepCosts(statistics.median(t_train), statistics.median(t_floss),
                     statistics.median(ratios), ratios)


def graph_bytes(rnn: nn.Module, inputs: torch.Tensor, k: int | None = None,
                **spectrum_kwargs) -> int:
    """Bytes autograd keeps for the backward pass of :func:`flossing_loss` (the graph's memory).

    Counts every tensor saved for backward once per storage (views share one), via
    ``torch.autograd.graph.saved_tensors_hooks``; parameters are not counted. Deterministic,
    unlike a peak-memory reading, so it measures what ``window`` and ``reortho_every`` save.

    Examples
    --------
    >>> import torch
    >>> rnn = torch.nn.RNN(2, 16, batch_first=True)
    >>> x = torch.randn(4, 40, 2)
    >>> graph_bytes(rnn, x, 2, window=10) < graph_bytes(rnn, x, 2) / 2
    True
    """
    params = {p.data_ptr() for p in rnn.parameters()}
    seen: dict[int, int] = {}

    def pack(t):
        ptr = t.untyped_storage().data_ptr()
        if ptr not in params:
            seen[ptr] = max(seen.get(ptr, 0), t.untyped_storage().nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", ExplodingGradientWarning)
        flossing_loss(rnn, inputs, k, **spectrum_kwargs)
    return sum(seen.values())


#: (name, module factory, k, extra spectrum arguments) of the benchmark grid.
BENCH_CASES = [
    ("RNN tanh H=64, k=1", lambda: nn.RNN(8, 64, batch_first=True), 1, {}),
    ("RNN tanh H=64, k=8", lambda: nn.RNN(8, 64, batch_first=True), 8, {}),
    ("RNN tanh H=64, k=64 (all)", lambda: nn.RNN(8, 64, batch_first=True), 64, {}),
    ("RNN tanh H=64, k=8, QR every 5", lambda: nn.RNN(8, 64, batch_first=True), 8,
     {"reortho_every": 5}),
    ("RNN tanh H=64, k=8, window 20", lambda: nn.RNN(8, 64, batch_first=True), 8,
     {"window": 20}),
    ("GRU H=64, k=8", lambda: nn.GRU(8, 64, batch_first=True), 8, {}),
    ("LSTM H=64, k=8", lambda: nn.LSTM(8, 64, batch_first=True), 8, {}),
    ("LSTM H=64, k=128 (all)", lambda: nn.LSTM(8, 64, batch_first=True), 128, {}),
]


def bench(T: int = 100, batch: int = 16, repeats: int = 7, quick: bool = False,
          seed: int = 0) -> list[tuple[str, StepCosts]]:
    """Run ``BENCH_CASES`` (the first two only if ``quick``) and print a table."""
    rows = []
    print(f"flossing step / training step, T={T}, batch={batch}, median of {repeats} "
          f"alternating repetitions, {torch.get_num_threads()} thread(s)")
    print(f"{'case':34s} {'train ms':>9s} {'floss ms':>9s} {'ratio':>7s} {'graph MB':>9s}")
    for name, make, k, extra in (BENCH_CASES[:2] if quick else BENCH_CASES):
        torch.manual_seed(seed)
        rnn = make()
        x = torch.randn(batch, T, rnn.input_size)
        c = step_costs(rnn, x, k, repeats=repeats, **extra)
        mb = graph_bytes(rnn, x, k, **extra) / 2 ** 20
        rows.append((name, c))
        print(f"{name:34s} {1e3 * c.train:9.2f} {1e3 * c.floss:9.2f} {c.ratio:7.1f} {mb:9.2f}",
              flush=True)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m lyaplearn.flossing",
                                description="Cost of gradient flossing against training.")
    p.add_argument("--bench", action="store_true", help="time flossing against training")
    p.add_argument("--quick", action="store_true", help="two cases only")
    p.add_argument("--T", type=int, default=100, help="sequence length")
    p.add_argument("--batch", type=int, default=16, help="sequences per batch")
    p.add_argument("--repeats", type=int, default=7, help="timed repetitions per case")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = p.parse_args(argv)
    if not args.bench:
        p.print_help()
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    bench(args.T, args.batch, args.repeats, args.quick)
