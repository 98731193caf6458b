"""The maintainer's tools: the benchmark of the chapter 6 engine.

Neither a student nor a teacher needs this. It needs no package beyond the library
itself (``pip install -e .`` in a checkout); the numbers it prints are the tables of the
book's appendix *Benchmarks and full-size runs* (``book/appendix_benchmarks.md``).

========================  =====================================================================
file                      holds
========================  =====================================================================
``bench.py``              the benchmark of :func:`lyaplearn.recurrent.lyapunov_spectrum`
                          against floors and a ``torch.func`` baseline
                          (``python -m lyaplearn.maintainer.bench``)
========================  =====================================================================

The old path ``lyaplearn.bench`` (``python -m lyaplearn.bench``) still works in this
release, with a ``DeprecationWarning``.
"""
