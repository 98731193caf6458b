"""Constants shared by the library: one definition each.

:data:`LN2` converts natural-log rates (nats per step) to bits per step; the engine
(:mod:`lyaplearn.recurrent`) and chapter 5 (:mod:`lyaplearn.lyapunov`) both use it.
"""

from __future__ import annotations

import math

#: ``log 2``: an exponent in nats per step divided by ``LN2`` is in bits per step.
LN2 = math.log(2.0)
