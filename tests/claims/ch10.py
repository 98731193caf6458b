"""Chapter 10 (book/10_flossing.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
    N(r"the rates at which its singular values grow or shrink with $T$ are the Lyapunov "
      r"exponents", "definition"),
    N(r"If $\lambda_1 < 0$ every direction of the gradient shrinks at least as fast as",
      "definition"),
    C(r"the state's sensitivity to the weights itself grows like $e^{\lambda_1 t}$, and so "
      r"does the exact gradient of the exponents",
      ("tests/test_flossing.py::test_a_chaotic_graph_warns_and_an_overflowing_gradient_raises",),
      "one chaotic network (lambda_1 > 0.2) over 600 steps: the exact gradient overflows "
      "float32 and warns, truncate=2 keeps it finite"),
    N(r"measured by the book's engine on inputs the flosser never saw", "description"),
    C(r"the directions at the bottom of the spectrum are lost faster than before",
      ('cell: assert (lam["flossed"][:, -1] < lam["plain"][:, -1]).all()',
       'cell: assert (c["flossed"] > c["plain"]).all()'),
      "the three networks of the committed file (named: 'in each of the three networks'), "
      "default initialisation against after 60 flossing steps"),
    C(r"also reaches further than plain training",
      ('cell: assert reach[t]["orthogonal"] > reach[t]["plain"]',
       'cell: assert apart(("copy", "orthogonal", 50), ("copy", "plain", 50))',
       'cell: assert apart(("xor", "orthogonal", 20), ("xor", "plain", 20))'),
      "both tasks, delays 5 to 100, 10 seeds per cell of the committed file (the glued "
      "reaches follow in the sentence)"),
    C(r"did no better than flossing before training at any delay of either task",
      ('cell: assert all(R[(t, "floss_during", d)].rate <= R[(t, "floss_before", d)].rate '
       'for d in delays)',),
      "every delay of the committed file (5 to 100) on both tasks, 10 seeds each, as "
      "scheduled (named: default initialisation, 5 steps every 50)"),
    N(r"The largest component shrinks like $e^{\lambda_1 T}$, so it reaches", "definition"),
    N(r"With 10 seeds, the chapter's number, a condition that never failed has the rate",
      "question"),
    N(r"report the intervals whatever they show", "instruction"),
]
