"""Chapter 8 (book/08_remedies.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
    C(r"a product of many factors drifts exponentially towards zero or infinity unless each "
      r"factor is, in the right sense, close to one",
      ("tests/test_conditioning.py::test_log_norm_of_gaussian_product_drifts_like_digamma",
       "tests/test_lyapunov_ensemble.py::test_gradient_decay_rate_matches_lambda_max"),
      "the recap of chapters 3 and 5: Gaussian products (n = 8, L = 20) and three recurrent "
      "networks, lags 10 to 60"),
    N(r"weight matrix is forced to be orthogonal cannot shrink anything by itself",
      "definition"),
    C(r"With $\alpha = 1$ both grow with depth; with $\alpha = 1/\sqrt{L}$ the argument keeps "
      r"both of order one at any depth (we measure $L = 100$ below",
      ("cell: assert all(np.abs(ls).max() < 2.5 for ls in scaled)",
       "tests/test_remedies_residual.py::test_depth_profile_skip_keeps_product_near_one"),
      "the argument; measured at L = 100 (width 64, five seeds) and L = 60 (width 32) in the "
      "test; L = 1000 once, recorded in the appendix (named)"),
    N(r"(`None`: never)", "definition"),
    C(r"the plain network at gain 1 never loses 99% of its gradient's *norm*",
      ("cell: assert remedies.gradient_loss_depth(plain1.grad_norms) is None",
       "cell: assert plain1.log_sv[0] - plain1.log_sv[-1] > 100"),
      "the figure's network, depth 100, width 64 (smallest norm 7% of the start)"),
    C(r"whatever scale the weights give to $z$, layer norm divides it out again",
      ("tests/test_remedies_layer_norm.py::test_ln_network_jacobians_match_autograd_and_are_gain_invariant",
       "cell: assert all(np.allclose(ln[g].grad_norms, ln[1.0].grad_norms, rtol=1e-8) "
       "for g in gains)"),
      "exact for eps = 0 (LN(gz) = LN(z)); the figure's gains 0.5 to 4"),
    C(r"changes neither the forward pass nor any layer Jacobian",
      ("tests/test_remedies_layer_norm.py::test_ln_network_jacobians_match_autograd_and_are_gain_invariant",
       "tests/test_remedies_layer_norm.py::test_gain_profiles_layer_norm_removes_the_gain"),
      "proved in the sentence; every layer of the test's networks against autograd"),
    C(r"and a strictly negative sum for any two or more exponents when the singular values "
      r"of $W$ are not all equal",
      ("cell: assert spectra[name][1].numpy().max() <= 1e-12",
       "tests/test_remedies_recurrences.py::test_orthogonal_and_spectral_norm_rnns_cannot_expand"),
      "proved in the exercise 'ex-ch8-bound'; lambda_1 <= 0 checked for the chapter's "
      "networks and a 12-unit one at gain 3"),
    N(r"An orthogonal linear map cannot shrink anything", "definition"),
    C(r"after 300 steps, and never below it",
      ("cell: assert losses.min() >= bound - 1e-9 and losses[-1] < bound + 1e-2",
       "tests/test_remedies_recurrences.py::test_fit_orthogonal_reaches_but_never_beats_procrustes"),
      "every one of the 300 steps of the chapter's fit"),
    C(r"the gated networks have hardly any slow modes",
      ('cell: assert slow["GRU, gate bias 0"] <= 2 and slow["LSTM, gate bias 0"] <= 2',),
      "the chapter's GRU and LSTM at gate bias 0 (at most two, glued)"),
    C(r"any error, from a slightly wrong initial state or a slightly wrong model, grows like",
      ("cell: assert abs(rate - lam[0]) < 0.1 and abs(first - pred) < 6",
       "tests/test_remedies_rollouts.py::test_rollout_divergence_and_growth_rate_closed_form"),
      "the linearisation; the Hénon map with parameter errors 1e-10 and 1e-6, 64 states"),
    N(r"so the model never sees its own errors during training", "definition"),
    C(r"the branch scale must match the depth",
      ("cell: assert all(np.abs(ls).max() < 2.5 for ls in scaled)",
       "tests/test_remedies_residual.py::test_depth_profile_skip_keeps_product_near_one"),
      "depth 100, width 64, five seeds (alpha = 1/sqrt(L) against alpha = 1 in the table)"),
    C(r"It agrees with the formula to within a few steps",
      ("tests/test_solutions_ch08.py::test_measured_horizon_follows_log_over_lambda",),
      "eps = 1e-6 and 1e-10, within 3 steps (named)"),
    C(r"about 50 steps is the end of the road for any rollout of this map, however good the "
      r"model",
      ("tests/test_solutions_ch08.py::test_measured_horizon_follows_log_over_lambda",),
      "the horizon formula at eps = 2.2e-16 and lambda = ln 2, checked against rollouts at "
      "eps = 1e-6 and 1e-10"),
    N(r"keeps the product within constant factors of the identity *for any* $A_l$", "question"),
    C(r"the angle $2\arctan t$ never reaches $\pi$, the Cayley map cannot produce orthogonal "
      r"matrices with eigenvalue $-1$ (a rotation by exactly $\pi$ in some plane, or any "
      r"reflection)",
      ("tests/test_solutions_ch08.py::test_cayley_is_orthogonal_and_rotates_by_twice_arctan",),
      "proved in the solution; the rotation angle and det Q = 1 checked in the test"),
]
