"""lyaplearn: the library behind the textbook on vanishing and exploding gradients.

Each chapter of the book is backed by one module:

========================================  ==========================================================
chapter                                   module
========================================  ==========================================================
1  The tyranny of the product             :mod:`lyaplearn.scalar`
2  Backpropagation is a product of ...    :mod:`lyaplearn.jacobians`
3  Stretching and squeezing               :mod:`lyaplearn.conditioning`
4  Time is depth: recurrent networks      :mod:`lyaplearn.rnn`
5  Lyapunov exponents                     :mod:`lyaplearn.lyapunov`, :mod:`lyaplearn.maps`
6  The Lyapunov spectrum of an LSTM       :mod:`lyaplearn.recurrent` (a package; its docstring is the map)
7  The spectrum as a readout of training  :mod:`lyaplearn.training`, :mod:`lyaplearn.experiments`, :mod:`lyaplearn.readout`, :mod:`lyaplearn.stats`, :mod:`lyaplearn.data`, :mod:`lyaplearn.mocap`
8  Keeping the product near one           :mod:`lyaplearn.remedies`
9  The edge of chaos                      :mod:`lyaplearn.meanfield`, :mod:`lyaplearn.edge`
10 Training the spectrum                  :mod:`lyaplearn.flossing`, :mod:`lyaplearn.longdelay`
========================================  ==========================================================

Interactive explorers live in :mod:`lyaplearn.widgets` (one submodule per
chapter module, same name) and the shared figure style in
:mod:`lyaplearn.style`; :mod:`lyaplearn.prose` glues the numbers the chapters quote into
their text. Submodules are imported explicitly
(``from lyaplearn import scalar``) so that ``import lyaplearn`` stays cheap.

Apart from the student's library above, and imported by none of it: the teacher's tools,
:mod:`lyaplearn.teacher` (assignments made and marked in a sandbox, publishing the book;
``pip install -e ".[teacher]"`` in a checkout), and the maintainer's, ``lyaplearn.maintainer``
(the engine's benchmark, ``python -m lyaplearn.maintainer.bench``). Their old paths
``lyaplearn.coursework``, ``lyaplearn.sandbox``, ``lyaplearn.publish`` and ``lyaplearn.bench``
still work in this release, with a ``DeprecationWarning``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
