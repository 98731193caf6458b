"""Chapter 4 (book/04_recurrent_networks.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
    C(r"at $\rho = 3$ the steps more than 20 back carry over half",
      ("tests/test_rnn.py::"
       "test_bptt_step_contributions_short_range_at_small_rho_long_range_at_large",),
      "16 units over 40 steps, four draws (named)"),
    C(r"for a number of steps that grows with both",
      ("tests/test_rnn_matrices.py::"
       "test_jordan_transient_grows_with_coupling_and_chain_length",),
      "Jordan blocks of size 2 to 4, coupling 1 to 4 (named)"),
    C(r"powers can never shrink faster than $\rho^t$",
      ("cell: assert np.all(rnn.power_norms(W, 200) >= rho ** np.arange(201) * (1 - 1e-9))",
       "tests/test_rnn_matrices.py::test_power_norms_jordan_block_closed_form"),
      "proved in the text; three matrices, t up to 200, in the cell"),
    C(r"for all $t$.",
      ("tests/test_rnn_matrices.py::test_gelfand_estimates_converge_to_rho",),
      "Gelfand's theorem, cited; the convergence checked on random matrices"),
    C(r"the powers eventually decay geometrically",
      ("tests/test_rnn_matrices.py::test_gelfand_estimates_converge_to_rho",),
      "Gelfand's theorem, cited"),
    C(r"the non-normal one amplifies some vector by more than an order of magnitude",
      ('cell: assert norms["nonnormal"][:51].max() > 10 and norms["gaussian"].max() < 3',),
      "the chapter's matrix (rho = 0.9, 32 units), the first fifty steps (named)"),
    C(r"It does not always make the product itself smaller than $W^k$",
      ("tests/test_rnn.py::test_saturation_lowers_the_bound_but_can_enlarge_the_product",),
      "a counterexample suffices (given in the text); the bound on 200 random products"),
    C(r"The two agree to rounding error (relative difference below $10^{-10}$ at every lag)",
      ("cell: assert np.allclose(by_products, by_autograd, rtol=1e-10, atol=0)",
       "tests/test_rnn_bptt.py::test_gradient_vs_lag_matches_autograd"),
      "the chapter's network, every lag"),
    C(r"gradients grow or shrink geometrically with the lag, at a rate that depends on "
      r"$\rho$ but is not $\log\rho$ (the fitted rates differ from it by more than 0.2 "
      r"nats per step)",
      ("cell: assert abs(rate - np.log(r)) > 0.2",
       "tests/test_rnn_bptt.py::test_lag_profiles_are_geometric_at_a_rate_other_than_log_rho"),
      "lags 10 to 80, rho from 0.8 to 2.5, one matrix per rho in the cell, five in the "
      "test (both named)"),
    C(r"A linear network would grow or decay like $\rho^k$ in the long run",
      ("tests/test_rnn_matrices.py::test_gelfand_estimates_converge_to_rho",),
      "Gelfand's theorem"),
    C(r"A network that remembers nothing can do no better than predicting 0",
      ("tests/test_rnn_clipping.py::test_recall_task_shapes_and_target",),
      "the target is a standard normal number independent of the rest: its best constant "
      "prediction is its mean, 0"),
    C(r"but no step it takes is longer than $\eta c$",
      ("cell: assert all(r.update_norms.max() <= 0.2 * 1.0 + 1e-12 for r in ens.clipped)",
       "tests/test_rnn_clipping.py::test_clipped_sgd_step_bounds_the_update"),
      "the definition of clipping; every step of the eight clipped runs"),
    C(r"the median peak gradient norm without clipping is more than ten times the median "
      r"with clipping",
      ("cell: assert np.median(free_peaks) > 10 * np.median(clipped_peaks)",),
      "the ensemble of eight seeds, in every floating-point configuration the tests use"),
    C(r"yet their median final loss is more than twice that at `length=15`",
      ("tests/test_rnn_clipping.py::test_longer_memory_span_clipped_runs_learn_less",),
      "four seeds, 400 steps, rate 0.2, rho 1.5 (named)"),
    C(r"It never makes a small gradient larger",
      ("tests/test_rnn_clipping.py::test_clip_gradient_norm_matches_torch",
       "tests/test_rnn_clipping.py::test_clipped_sgd_step_bounds_the_update"),
      "the factor min(1, c/||g||) <= 1, given in the text"),
    C(r"rescaling the whole gradient leaves them just as tiny relative to the rest",
      ("tests/test_rnn_clipping.py::test_clip_gradient_norm_matches_torch",),
      "scaling by one positive number keeps every ratio (exercise 'What clipping does')"),
    C(r"$\lVert W^t\rVert \ge \rho^t$ always",
      ("cell: assert np.all(rnn.power_norms(W, 200) >= rho ** np.arange(201) * (1 - 1e-9))",),
      "proved in the exercise 'Normal matrices have no transient'"),
    C(r"can amplify by more than an order of magnitude over tens of steps while $\rho < 1$",
      ('cell: assert norms["nonnormal"][:51].max() > 10 and norms["gaussian"].max() < 3',),
      "one matrix, the first fifty steps"),
    C(r"gradient norms grow or decay geometrically with the lag",
      ("tests/test_rnn_bptt.py::test_lag_profiles_are_geometric_at_a_rate_other_than_log_rho",),
      "32 units, rho from 0.8 to 2.5 (named), five matrices per rho"),
    C(r"Since the spectral norm is at least the size of any entry",
      ("tests/test_rnn_matrices.py::"
       "test_jordan_transient_grows_with_coupling_and_chain_length",),
      "|A_ij| = |e_i^T A e_j| <= ||A||_2; the corner entry checked"),
    C(r"For any $W$, take an eigenvector",
      ("tests/test_rnn_matrices.py::"
       "test_init_recurrent_normal_is_normal_with_norms_rho_to_the_t",),
      "proof step; the bound checked on the chapter's matrices"),
    N(r"Clipping changes only the length of a step, never its direction", "definition"),
    C(r"every gradient decays at least like $\lVert W\rVert_2^k$, whatever the inputs",
      ("tests/test_rnn.py::test_saturation_lowers_the_bound_but_can_enlarge_the_product",),
      "proved; 200 random products with slopes in (0, 1]"),
    C(r"For $\rho = 0.8$ the contributions fall off geometrically with the lag",
      ("tests/test_rnn.py::"
       "test_bptt_step_contributions_short_range_at_small_rho_long_range_at_large",),
      "16 units over 40 steps, four draws (named)"),
    C(r"The polynomial factor is the transient: it grows with the coupling",
      ("tests/test_rnn_matrices.py::"
       "test_jordan_transient_grows_with_coupling_and_chain_length",),
      "Jordan blocks of size 2 to 4, coupling 1 to 4"),
]
