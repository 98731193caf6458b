"""The book's generalising sentences and their checks (read by ``tests/test_claims.py``).

Each entry quotes a fragment of one sentence, exactly as in the source (line breaks may
differ), long enough to contain the generalising word(s) and to occur only once. A
``Claim`` names its checks and the range they cover; a ``NotAClaim`` says why the word does
not generalise a measurement. The standard and how to add an entry: README.md, "For
contributors: claims and checks".

Checks are ``"tests/test_x.py::test_name"`` (the test must exist) or ``"cell: assert ..."``
(the assertion, whitespace aside, must occur in a code cell of the same notebook).
Fragments are raw strings: they hold LaTeX.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """A sentence stating a trend, a range or a comparison, and what checks it."""

    text: str
    #: "tests/test_x.py::test_name" or "cell: assert ..." (an assertion in the notebook)
    checks: tuple[str, ...]
    #: the range the checks cover, in words (which the sentence must also name)
    measured: str


@dataclass(frozen=True)
class NotAClaim:
    """A generalising word that states no measured behaviour."""

    text: str
    reason: str


REASONS = {
    "definition": "a definition, a convention or a mathematical identity used as one",
    "instruction": "tells the reader what to do or try; states nothing about a result",
    "description": "says what a function, a test or a procedure does",
    "question": "an exercise's question; its answer is checked where the solution states it",
}

C = Claim
N = NotAClaim

ENTRIES: dict[str, list] = {
    "01": [
        C(r"the closed form {eq}`eq-ch1-unrolled` must agree with it to rounding error",
          ("cell: assert np.allclose(theta, closed_form, rtol=1e-12)",
           "tests/test_scalar.py::test_trajectory_is_geometric"),
          "one (eta, a, theta0) and 12 steps in the cell; five settings covering the four "
          "behaviours in the test"),
        N(r"and in `tests/test_scalar.py` for all four behaviours", "description"),
        C(r"the sharpest one sets the limit for all of them",
          ("tests/test_scalar.py::test_two_curvatures_the_sharpest_sets_the_limit",),
          "proved in the exercise 'Two curvatures'; iterated for three pairs (a1, a2) and eta "
          "on a grid from 0.01 to 2/a1 + 0.5"),
        C(r"which is never more than $\tfrac14$",
          ("tests/test_jacobians_network.py::test_sigmoid_derivative_ceiling_is_a_quarter",
           "tests/test_scalar.py::test_activation_derivatives_against_closed_forms"),
          "proved in the exercise 'The sigmoid's ceiling'; z from -10 to 10 (2001 points)"),
        C(r"shrink the gradient by twelve orders of magnitude, whatever the weight",
          ('cell: assert all(abs(scalar.tower_gradient(x, v, 20, "sigmoid")) <= abs(x) * 0.25**20'
           ' for v in weights)',
           "tests/test_scalar.py::test_sigmoid_and_tanh_bounds"),
          "proved for every w; checked for w from -10 to 10 (81 values, named in the text) at "
          "depth 20, and for x in {1, -0.5, 3}, w in {0, 0.5, -2, 10}, depths 1, 5, 20"),
        C(r"so the gradient can never grow",
          ('cell: assert all(abs(scalar.tower_gradient(x, v, 20, "tanh")) <= abs(x) for v in '
           'weights)',
           "tests/test_scalar.py::test_sigmoid_and_tanh_bounds"),
          "proved; checked for w from -10 to 10 at depth 20 (named in the text) and on the "
          "test's grid"),
        C(r"The sigmoid curve falls *faster* than its bound",
          ("cell: assert np.all(np.diff(grads / 0.25 ** np.arange(1, 31)) < 0)",),
          "the figure's tower (x = 1, w = 0.5), every depth from 1 to 30 (named in the text)"),
        C(r"the product decays only like a power of $L$, about $L^{-3/2}$",
          ("tests/test_solutions_ch01.py::test_tanh_tower_needs_about_1_6e11_layers",),
          "x = 1, w = 0.5, depths 20 000 to 200 000 (named in the text)"),
        C(r"the number of steps grows without bound",
          ("tests/test_scalar.py::test_steps_to_tolerance_grow_without_bound_at_the_band_edges",),
          "a = 2.5, tol = 1e-8, from 1e-1 to 1e-4 away from both ends of the band"),
        C(r"A tanh tower decays like a power, about $A\,L^{-3/2}$",
          ("tests/test_solutions_ch01.py::test_tanh_tower_needs_about_1_6e11_layers",),
          "x = 1, w = 0.5, depths 20 000 to 200 000 (named in the text)"),
    ],
    "02": [
        C(r"The two computations agree to rounding error (a relative difference below",
          ("cell: assert np.allclose(from_product, measured, rtol=1e-10)",
           "tests/test_jacobians_torch.py::"
           "test_real_sequential_tanh_mlp_gradient_norms_equal_jacobian_product"),
          "the chapter's 12-layer network, every layer"),
        C(r"times smaller than the last one: with a single learning rate, gradient descent "
          r"moves the first layer's weights that many times less than the last layer's",
          ("cell: assert measured_w[-1] > 20 * measured_w[0]",),
          "this one network ('in this network'), glued ratio"),
        C(r"and it vanishes exponentially with depth",
          ("tests/test_jacobians_network.py::test_product_bound_holds",),
          "the theorem's bound; checked on random MLPs of every activation"),
        C(r"Norms larger than one *allow* explosion but do not force it",
          ("cell: assert actual[0] < actual[-1]",
           "tests/test_jacobians_network.py::test_product_bound_can_be_loose"),
          "an example suffices: one 20-layer tanh network (width 32, gain 1, named)"),
        C(r"times *smaller* than the one that left the output",
          ("cell: assert actual[0] < actual[-1]",),
          "one 20-layer tanh network (width 32, gain 1, one draw: named), glued ratio"),
        C(r"is closer to the layer's root-mean-square singular value",
          ("cell: assert np.all(off_rms < off_max)",
           "tests/test_jacobians.py::test_random_unit_vector_sees_the_rms_singular_value"),
          "every one of the 20 layers of that network (named); the identity by Monte Carlo"),
        C(r"For linear layers the rate stays within",
          ('cell: assert linear_dev < 0.05 and abs(relu_he) < 0.05 and '
           'rates["sigmoid"].max() < -0.4',),
          "the figure's 15 gains from 0.5 to 4, three networks each (named in the text)"),
        C(r"by $\sigma'(z) \approx 0$, whatever the weights are",
          ("tests/test_jacobians_network.py::test_mlp_jacobians_match_autograd",),
          "the formula J = diag(sigma'(z)) W, checked against autograd for every activation"),
        C(r"so by the theorem the gradient shrinks at least as fast as $2^{-30}\approx 10^{-9}$, "
          r"whatever the input",
          ('cell: assert sat["sigmoid"]["delta_norms"][0] <= 0.5 ** 30',
           "tests/test_jacobians_experiments.py::test_saturation_example_claims_hold_for_six_draws",
           "tests/test_jacobians_network.py::"
           "test_sigmoid_networks_below_norm_four_shrink_whatever_the_input"),
          "proved; one draw in the cell, six in the test (named in the text), 40 networks "
          "with inputs of scale 1e-3 to 1e2 in the other test"),
        C(r"the gradient *falls*, by a factor of",
          ("cell: assert np.all(shifted[\"jacobian_norms\"] > 1) and "
           "shifted[\"delta_norms\"][0] < 1e-5",
           "tests/test_jacobians_experiments.py::test_saturation_example_claims_hold_for_six_draws"),
          "one draw in the cell, six in the test (named in the text)"),
        C(r"grows with the gain over $0.5 \le g \le 1.5$",
          ("cell: assert np.all(np.diff(at_input) > 0) and at_input[0] < 1 < at_input[-1]",),
          "the animation's network, 21 gains from 0.5 to 1.5 (named in the text)"),
        C(r"has gradients that vanish at least like $(c/4)^L$, however the inputs look",
          ("tests/test_jacobians_network.py::"
           "test_sigmoid_networks_below_norm_four_shrink_whatever_the_input",),
          "proved; 40 random 10-layer networks with c = 3.9, inputs and biases of scale 1e-3 "
          "to 1e2"),
    ],
    "03": [
        N(r"with a spread that does not grow with the depth $L$", "definition"),
        N(r"The lower end is just as important for gradients", "description"),
        C(r"$\kappa \ge 1$ always, $\kappa(cM) = \kappa(M)$ for any $c \ne 0$",
          ("tests/test_conditioning_products.py::test_condition_number_properties_on_random_matrices",),
          "follows from the definition; 60 random matrices of sizes 2 to 17 with singular "
          "values spread over 6 decades, c from -7.5 to 3e4"),
        C(r"so $\kappa$ grows roughly in proportion to $n$",
          ("tests/test_conditioning.py::test_gaussian_condition_number_grows_like_n",),
          "medians over 100 draws for n = 25, 50, 100, 200 (named in the text)"),
        C(r"times weaker than the others, however well-behaved the overall gradient norm looks",
          ("cell: assert np.isclose(top, s[0], rtol=1e-8) and np.isclose(bottom, s[-1], rtol=1e-6)",),
          "the identity P^T u_i = sigma_i v_i; checked on the chapter's 10-layer network"),
        C(r"random directions follow the top one",
          ("cell: assert min(random_gains) > top / 30 and min(random_gains) > 1e4 * bottom",),
          "twenty random directions through the chapter's 10-layer network (named)"),
        C(r"None of them constrains the spread of the singular values, and in a deep product "
          r"the spread is what grows",
          ("cell: assert np.all(np.diff(log10_cond) > 0)",
           "tests/test_conditioning_networks.py::test_deep_gaussian_spectrum_is_carried_by_a_few_values"),
          "depths 1, 4, 16, 64 at width 64, one draw in the cell, five in the test"),
        C(r"For any $q^*$ these two conditions fix the weight gain",
          ("tests/test_conditioning_networks.py::test_critical_tanh_solves_both_conditions",),
          "q* from 1/64 to 10 (named in the text)"),
        C(r"their spectrum spreads just as in the linear case",
          ("cell: assert abs((gauss[0] - gauss[-1]) - linear_cond) < 0.1 * linear_cond",
           "tests/test_conditioning_networks.py::test_gaussian_tanh_at_criticality_spreads_like_linear"),
          "depth 64, width 64, within 10% of the linear network's log condition number; one "
          "seed in the cell (named), five in the test"),
        C(r"grows, at $q^* = 1/64$ (width 32; the gap widens at every depth from 1 to 48)",
          ('cell: assert np.all(np.diff(curves["lecun"] - curves["orthogonal"]) > 0)',
           "tests/test_conditioning_networks.py::test_condition_vs_depth_against_direct_products"),
          "width 32, depths 1 to 48 (named)"),
        C(r"ReLU networks with zero biases cannot, whatever the weights",
          ("tests/test_conditioning.py::test_relu_layers_are_singular_whatever_the_weights",),
          "every initialiser, gains 0.5 to 2 (named in the text), 12 layers of width 32"),
        C(r"and the Gaussian initialisers with the linear activation at any gain",
          ("tests/test_conditioning_networks.py::test_linear_gaussian_spread_does_not_depend_on_gain",),
          "exact: kappa(cM) = kappa(M); checked at gains 0.5, 1.3, 2"),
        C(r"Products of Gaussian layers spread with depth even when the mean is right",
          ("cell: assert np.all(np.diff(log10_cond) > 0)",
           "tests/test_conditioning_networks.py::test_deep_gaussian_spectrum_is_carried_by_a_few_values"),
          "depths 1 to 64 (named), width 64, five draws in the test"),
        C(r"the curves are close to straight lines",
          ("cell: assert misfit < 5 and fan > 10 * misfit",),
          "the figure's network, width 16, depths 1 to 50 (named)"),
        C(r"`cond.condition_number([[1, 3], [0, 1]])` agrees",
          ("tests/test_conditioning_products.py::test_condition_number_closed_forms",),
          "t = 3, against the closed form"),
        C(r"the condition number can grow at most exponentially with depth",
          ("tests/test_conditioning_products.py::"
           "test_random_products_condition_grows_exponentially_but_slower_than_the_bound",),
          "proved (submultiplicativity); measured for 16 x 16 Gaussian layers, 100 to 400 "
          "layers (named in the text)"),
        N(r"because $\psi(y) < \log y$ for all $y > 0$", "definition"),
        C(r"like on any fixed unit vector",
          ("tests/test_conditioning.py::test_log_norm_of_gaussian_product_drifts_like_digamma",),
          "rotational invariance of the Gaussian; the drift checked for n = 8, L = 20, 4000 draws"),
        C(r"By the law of large numbers it drifts like",
          ("tests/test_conditioning.py::test_log_norm_of_gaussian_product_drifts_like_digamma",),
          "n = 8, L = 20, 4000 draws, within 5 standard errors"),
        C(r"has the same distribution as $OZ$ for any fixed orthogonal $O$",
          ("tests/test_solutions_ch03.py::test_moments_of_the_trace_match_haar_measure",
           "tests/test_conditioning_networks.py::test_orthogonal_is_haar_distributed"),
          "invariance of the Gaussian; the resulting Haar moments checked by Monte Carlo"),
    ],
    "04": [
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
    ],
    "05": [
        C(r"The entries of $T_t$ grow like $e^{\lambda_1 t}$",
          ("cell: assert overflow_steps < 3000",
           "tests/test_lyapunov_ensemble.py::test_product_svd_matches_closed_form_then_overflows"),
          "definition of lambda_1; the overflow checked for the chapter's network"),
        C(r"The naive estimates of the small exponents then sit near",
          ("cell: assert np.all(np.abs(floor[:, -1] - (floor[:, 0] + np.log(eps) / times)) "
           "< 30 / times)",
           "cell: assert np.all(np.diff(floor[:, -1]) > 0)"),
          "the chapter's 16-unit network at t = 20, 50, 100, 200 (named)"),
        C(r"and drift *up* towards $\lambda_1$ as $t$ grows",
          ("cell: assert np.all(np.diff(floor[:, -1]) > 0)",),
          "the chapter's 16-unit network at t = 20, 50, 100, 200 (named)"),
        C(r"$e_1$ never sees the fastest direction",
          ("cell: assert abs(from_identity - math.log(0.5)) < 1e-12",
           "tests/test_lyapunov_qr.py::test_random_start_frame_escapes_invariant_subspace"),
          "exact: e_1 is an eigenvector, so the frame stays on it"),
        C(r"so the saving is the QR part of the cost",
          ("tests/test_lyapunov_qr.py::test_reorthonormalisation_counts_one_qr_per_interval",),
          "the number of factorisations for T_ON = 1, 5, 20, 103 over 103 steps"),
        C(r"columns that shrink by more than $1/\varepsilon$ relative to the first within one "
          r"interval are lost",
          ("cell: assert head < 1e-6 and spaced[20][-1] > every_step[-1] + 1.0",
           "cell: assert abs(lost - predicted) <= 2, (ton, lost, predicted)"),
          "the chapter's chaotic network, T_ON = 5, 10, 20"),
        C(r"One identity holds exactly for *any* finite run",
          ("cell: assert np.allclose(lam.sum(axis=1), math.log(0.3), atol=1e-12)",
           "tests/test_lyapunov_qr.py::test_henon_sum_rule_holds_for_short_runs"),
          "proved; ten runs of 5000 steps and runs of 1 to 50 steps (named)"),
        C(r"for Hénon: more than a curve, less than a surface",
          ("cell: assert 1 < hen.kaplan_yorke < 2",),
          "the ten Hénon runs"),
        C(r"Every gradient eventually vanishes like $e^{\lambda_1 \ell}$ or faster",
          ("cell: assert stable.largest < -0.1 and chaotic_run.largest > 0.1",
           "tests/test_lyapunov_ensemble.py::test_gradient_decay_rate_matches_lambda_max"),
          "definition of lambda_1 < 0; the figure's stable network"),
        C(r"no exponent moves by more than",
          ("cell: assert drift < 0.15      # 0.04 to 0.08 over the seeds we tried",),
          "steps 100 to 200 of the chaotic network, six sequences (named), glued"),
        C(r"estimates swing more widely before settling",
          ("cell: assert swing[0] > 1.5 * swing[200]",),
          "the chapter's chaotic network, the first 20 steps, warm-up 0 and 200 (named)"),
        C(r"The error of a finite-time average shrinks only like $1/\sqrt{T}$",
          ("tests/test_lyapunov_ensemble.py::test_finite_time_scatter_shrinks_like_one_over_sqrt_T",),
          "64 sequences at T = 50 and 800 (named)"),
        C(r"checks that it shrinks about as $1/\sqrt{T}$ predicts",
          ("tests/test_lyapunov_ensemble.py::test_finite_time_scatter_shrinks_like_one_over_sqrt_T",),
          "64 sequences, T = 50 and 800: the ratio of scatters is asserted in (2.5, 6); "
          "1/sqrt(T) predicts 4"),
        C(r"The cell after the figure checks where the tail leaves the every-step spectrum "
          r"(by more than 0.05 nats per step)",
          ("cell: assert abs(lost - predicted) <= 2, (ton, lost, predicted)",),
          "T_ON = 5, 10, 20 for the chapter's chaotic network"),
        C(r"the first sixteen agree with the every-step values",
          ("cell: assert head < 1e-6 and spaced[20][-1] > every_step[-1] + 1.0",),
          "T_ON = 20, the chapter's chaotic network (named)"),
        C(r"The measured slopes match $\lambda_1$ to within 0.06 nats per step",
          ("cell: assert abs(slope - spectrum.largest) < 0.06   # at most 0.03 over the seeds we tried",
           "tests/test_lyapunov_ensemble.py::test_gradient_decay_rate_matches_lambda_max"),
          "three networks, lags 10 to 60, eight trajectories each (named)"),
        C(r"settles as the network grows",
          ("tests/test_lyapunov_ensemble.py::test_spectrum_summaries_at_128_units_match_64",),
          "64 and 128 units in the test; the rest is cited (Engelken et al.)"),
        N(r"for any gain $g$ and input standard deviation", "description"),
        N(r"from QR factorisations, never by forming the product", "instruction"),
        C(r"(exactly, for any $T$)",
          ("tests/test_lyapunov_qr.py::test_sum_of_spectrum_equals_mean_log_det",
           "tests/test_lyapunov_qr.py::test_henon_sum_rule_holds_for_short_runs"),
          "proved in the solution; checked for runs from 1 step"),
        C(r"The individual exponents, in contrast, converge like $1/\sqrt T$",
          ("tests/test_lyapunov_ensemble.py::test_finite_time_scatter_shrinks_like_one_over_sqrt_T",),
          "64 sequences at T = 50 and 800"),
        C(r"this factor does not grow exponentially along a typical orbit",
          ("tests/test_lyapunov_qr.py::test_logistic_r4_gives_ln2",),
          "the argument of the proof; the resulting exponent ln 2 checked on 20 orbits"),
        N(r"In double precision a column that shrinks by more than", "question"),
        C(r"the ratio of the column norms grows like",
          ("cell: assert abs(lost - predicted) <= 2, (ton, lost, predicted)",),
          "T_ON = 5, 10, 20 for the chapter's chaotic network"),
        N(r"one orthonormalises a little more often than the bound", "instruction"),
        C(r"volumes contract faster",
          ("tests/test_lyapunov_ensemble.py::test_mean_exponent_at_most_log_g_and_falls_with_input",),
          "g from 0.8 to 3.5 and sigma_x from 0.3 to 2 (named), 32 units"),
        C(r"and exactly $\ln 2$ at $r = 4$",
          ("tests/test_lyapunov_ensemble.py::test_logistic_exponent_closed_forms_across_the_bifurcation_diagram",
           "cell: assert abs(lam_r4 - math.log(2)) < 1e-3"),
          "the first two period-doublings, r = 3.1, 3.3, 3.4, the period-three window, "
          "r = 3.7 and 4"),
        C(r"watch the chaos disappear",
          ("cell: assert calm[0.0] > 0.05 and calm[1.5] < -0.05       # chaotic without input, "
           "stable with",),
          "the explorer's 32-unit network at g = 2, sigma_x = 0 and 1.5 (named)"),
        C(r"Its mean exponent is as negative as the stable one's",
          ("cell: assert abs(regimes[1.8][0].mean_exponent - regimes[0.8][0].mean_exponent) < 0.1",),
          "the table's networks, glued values"),
        C(r"stays of order one in the marginal regime",
          ("cell: assert 0.1 < growth[1.8][-1] / growth[1.8][0] < 10             # marginal: "
           "of order one",),
          "lag 60, eight trajectories, glued"),
    ],
    "06": [
        N(r"Two questions have to be settled before any number can be trusted", "description"),
        N(r"its Jacobian has twice as many rows as there are units", "definition"),
        N(r"but it is not the Jacobian of any map that the network iterates", "definition"),
        C(r"`recurrent.jacobian` builds this matrix for any `nn.RNN`, `nn.GRU` or `nn.LSTM`",
          ("cell: assert torch.allclose(J, J_auto, rtol=0, atol=1e-12)",
           "tests/test_recurrent_jacobian.py::test_jacobian_matches_autograd"),
          "tanh, ReLU, GRU and LSTM modules of 1 to 3 layers, with and without biases, "
          "batch_first or not; the two-layer LSTM in the cell"),
        N(r"($D \times k$), never $J_t$ itself", "definition"),
        N(r"The code never builds $\operatorname{diag}(\kappa)$ as a matrix", "description"),
        N(r"Their asymptotic rates agree when the Jacobians are constant, or independent and "
          r"identically distributed", "definition"),
        C(r"and their sums always agree (the determinants are equal)",
          ("tests/test_recurrent_conventions.py::"
           "test_period3_gap_does_not_shrink_with_time_and_only_the_sum_agrees",
           "cell: assert abs(fwd.sum() - tr.sum()) < 1e-8"),
          "proved (det of a transpose); the period-3 network at T = 180 and 480 in the test, "
          "the figure's run in the cell"),
        C(r"The two agree to within the finite-time error (the partial run starts from a "
          r"different, random frame; started from the same frame they agree to rounding, which "
          r"the tests check)",
          ("cell: assert np.allclose(part.mean, res.mean[:4], atol=0.02)",
           "tests/test_recurrent_spectrum.py::test_partial_is_top_of_full",
           "tests/test_recurrent_spectrum.py::test_spectrum_matches_reference"),
          "the chapter's LSTM, top four exponents (cell); a 5-unit LSTM from one frame, to "
          "1e-10, and the sum rule on every architecture (tests)"),
        C(r"nats per step, does not shrink with $T$",
          ("tests/test_recurrent_conventions.py::"
           "test_period3_gap_does_not_shrink_with_time_and_only_the_sum_agrees",),
          "the period-3 network at T = 180 and 480 (named in the text)"),
        C(r"Only the sums agree (to",
          ("cell: assert abs(fwd.sum() - tr.sum()) < 1e-8",
           "tests/test_recurrent_conventions.py::"
           "test_period3_gap_does_not_shrink_with_time_and_only_the_sum_agrees"),
          "the figure's period-3 run; T = 180 and 480 in the test"),
        C(r"for period two it is, and the conventions agree",
          ("tests/test_recurrent_conventions.py::"
           "test_period_two_input_gives_the_same_exponents_in_both_conventions",
           "tests/test_solutions_ch06.py::"
           "test_period_two_agrees_on_a_generic_orbit_where_period_three_does_not"),
          "proved in the exercise; the period-3 network and a generic 3-unit network under "
          "period-2 input"),
        N(r"Independent Jacobians are a sufficient condition for the conventions to agree",
          "definition"),
        C(r"and agrees with autograd to rounding",
          ("tests/test_recurrent_jacobian.py::test_jacobian_matches_autograd",
           "tests/test_recurrent_jacobian.py::test_hidden_only_jacobian_matches_autograd"),
          "tanh, ReLU, GRU and LSTM modules of 1 to 3 layers, biases or not, batch_first or not"),
        N(r"The engine never forms $J_t$ or a diagonal matrix", "description"),
        N(r"is not the Jacobian of any map the network iterates", "definition"),
        C(r"The top exponent rises with the initialisation scale (the rest of the spectrum need "
          r"not)",
          ("cell: assert np.all(np.diff(lam1_lstm) > 0) and np.all(np.diff(lam1_gru) > 0)",
           "cell: assert mean_lstm[-1] < mean_lstm[2] and mean_gru[-1] < mean_gru[0]"),
          "32-unit LSTM and GRU at p = 0.25, 0.5, 1, 2, 3 (named in the section)"),
        N(r"$0.035$ nats; never changes the sign", "definition"),
        N(r"whatever the frame and for any $T$", "question"),
        N(r"and for any input of period 2 that puts the network on a periodic orbit", "question"),
        C(r"the check would pass whatever the order of the factors",
          ("tests/test_solutions_ch06.py::"
           "test_period_two_agrees_on_a_generic_orbit_where_period_three_does_not",),
          "the period-3 network's period-2 exponents equal to 1e-12 (a permutation times a "
          "diagonal: proved in the text)"),
        C(r"With period 2 the three exponents are distinct, more than 0.3 nats per step apart, "
          r"and the conventions agree to rounding",
          ("tests/test_solutions_ch06.py::"
           "test_period_two_agrees_on_a_generic_orbit_where_period_three_does_not",),
          "the network named in the solution (seed 2), against the eigenvalues of the period's "
          "product"),
        C(r"The leading exponents never suffer this cancellation",
          ("tests/test_recurrent_spectrum.py::test_reortho_every_keeps_leading_exponents",
           "tests/test_recurrent_qr.py::test_ill_conditioned_runs_fall_back_and_keep_the_leading_exponents"),
          "the argument of the solution; a 6-unit GRU with a QR every 10 steps (top three "
          "within 1e-6) and three networks with a QR every 25 steps (top four)"),
    ],
    "07": [
        N(r"drop channels that never move", "description"),
        C(r"cut each trial 80/10/10 *in time* before anything else (so no frame is shared "
          r"between splits)",
          ("tests/test_mocap.py::test_preprocessing_closed_forms",),
          "a hand-made 400-frame trial: the validation part holds exactly its frames 320 to 359"),
        N(r"showed that this is not the Jacobian of any map the LSTM iterates", "definition"),
        N(r"Whether the spectrum tells us anything needs many runs", "description"),
        C(r"And most have *settled*",
          ("cell: assert 2 * np.sum(~done) < len(done)",
           "cell: assert np.all(fit[\"convergence\"][\"best_epoch\"] < s[\"conv_epochs\"])"),
          "the 54 text runs of the committed results (48 of the family, 6 convergence runs; "
          "counts glued beside it)"),
        C(r"Every one of them ended with a lower training loss than at its best epoch and a "
          r"higher validation loss",
          ("cell: assert all(train_at(r, -1) < train_at(r, e) for r, e, d in zip(text_runs, "
           "best_ep, done) if d)",),
          "every text run that settled (glued count), its last epoch against its best"),
        C(r"**Text.** Every one of the {glue:text}`cfg_n_char` text runs ends below the bigram "
          r"model's",
          ("cell: assert loss_char.max() < bigram",),
          "all 48 text runs against the bigram on the same first 10,000 validation characters "
          "(named in the sentence)"),
        C(r"**Motion capture.** Every one of the {glue:text}`cfg_n_reg` motion runs starts as the "
          r"persistence forecast",
          ('cell: assert np.allclose(fit["regression"]["start"], persist, rtol=1e-3)',
           'cell: assert loss_reg.max() < persist and fit["regression"]["best_epoch"].min() > 0'),
          "all 40 motion runs of the committed results, on the validation split (named)"),
        C(r"The ridge regression does better than every network",
          ("cell: assert ridge < loss_reg.min()",),
          "all 40 motion runs of the committed results against ridge with its penalty chosen "
          "among 10^0 to 10^4 (named in the text)"),
        C(r"What agrees with the paper: the spectrum changes most in the first epoch, for every "
          r"$p$ {glue:text}`ratio_lo:.1f` to {glue:text}`ratio_hi:.1f` times more than in any "
          r"later epoch",
          ("cell: assert min(ratio) > 1",),
          "every run of the convergence family (the p named in the text), committed results"),
        C(r"the 95% intervals lie above 1 (lowest lower end {glue:text}`fast_low:.1f`), so the "
          r"change falls faster than $1/t$",
          ('cell: assert all(f["low"] > 1 for f in fits[:-1])',),
          "the five convergence runs with p = 0.04 to 0.2 (named), OLS intervals of a power "
          "law over epochs 1 to 10, the constant learning rate"),
        C(r"orders of magnitude less than in its first epoch",
          ("cell: assert min(before_best) > 1",),
          "the six convergence runs (named), the epoch that brought each to its best against "
          "its first epoch"),
        N(r"but a plane leaves in both any curved dependence on the two", "definition"),
        C(r"the calibrated spectrum readout did no better than chance here",
          ('cell: assert lo("char", "spectrum_fit") < hi("char", "random")',),
          "the 48 text runs, 500 pools, two standard errors (named)"),
        C(r"which leaves unresolved whether $\lambda_{\max}$ says more than these two",
          ('cell: assert found[name]["low"] < 0 < found[name]["high"]',),
          "the 48 text runs: a full quadratic and ranks in log lr and log dropout leave "
          "intervals that contain zero (2000 run bootstraps)"),
        C(r"Whether it says more than the learning rate and the dropout rate, which move both, "
          r"cannot be resolved",
          ('cell: assert found[name]["low"] < 0 < found[name]["high"]',
           'cell: assert found["partial"]["high"] < 0'),
          "the 48 text runs: a quadratic leaves an interval containing zero, planes one below "
          "zero (numbers glued beside it)"),
        C(r"the fit cannot tell it from $1/t$",
          ('cell: assert conv[-1]["config"]["p"] == 0.5 and fits[-1]["low"] < 1 < '
           'fits[-1]["high"]',),
          "the p = 0.5 convergence run, epochs 1 to 10 (named)"),
        C(r"says more about the loss than the two hyperparameters that move both cannot be "
          r"resolved",
          ('cell: assert found["partial"]["high"] < 0',
           'cell: assert found[name]["low"] < 0 < found[name]["high"]'),
          "the 48 text runs (named), 2000 run bootstraps: planes in log lr and log dropout "
          "leave an interval below zero; a full quadratic and ranks leave intervals that "
          "contain zero"),
        C(r"give borderline intervals whose upper ends sit at zero",
          ("cell: assert all(abs(h) < 0.05 for h in highs) and max(c[\"low\"] for c in cs) "
           "< -0.5",),
          "the 40 motion runs' final networks, bootstrap seeds 0 to 4 (five seeds, named): "
          "every upper end within 0.05 of zero"),
        C(r"an interval that just touches zero",
          ("cell: assert all(abs(h) < 0.05 for h in highs) and max(c[\"low\"] for c in cs) "
           "< -0.5",),
          "p against the 40 motion losses, bootstrap seeds 0 to 4 (named)"),
        C(r"On these two trials the paper's motion sign is neither confirmed nor excluded",
          ("cell: assert all(abs(h) < 0.05 for h in highs) and max(c[\"low\"] for c in cs) "
           "< -0.5", 'cell: assert all(c["low"] < 0 < c["high"] for c in mean_best)'),
          "the 40 motion runs: spectra at each run's best epoch and of the final networks, "
          "five bootstrap seeds each"),
        C(r"Later the validation loss does rank them",
          ('cell: assert reg4["low"] > 0',),
          "the 40 motion runs, readout after epoch 4 (named), 200 held-out splits"),
        C(r"far more than the paper's 4%",
          ('cell: assert 100 * cost["regression"]["fraction"][0] > 3 * 4',),
          "the motion-capture runs of the committed results (at least three times 4%)"),
        N(r"and a spectrum costs the same whatever the epoch", "description"),
        C(r"far less than the paper's 1.04 epochs",
          ("cell: assert pass_frac < 10",),
          "one spectrum against one pass over the training text (under 10%)"),
        C(r"the early validation loss did no better than chance (regret",
          ('cell: assert lo("regression", "val_loss") < hi("regression", "random")',
           'cell: assert all(b["low"] < 0 < b["high"] for b in boot.values())'),
          "the 40 motion runs (named): 500 pools, two standard errors; and 100 run "
          "resamples of 100 pools each"),
        C(r"the sign rule's lead is not resolved",
          ('cell: assert all(b["low"] < 0 < b["high"] for b in boot.values())',),
          "the 40 motion runs, 100 run resamples of 100 pools each (named)"),
        C(r"the same removals leave a small correlation that stays measurable",
          ('cell: assert all(c["high"] < 0 for c in alt_rm)',),
          "the 48 Austen runs: planes, a full quadratic and ranks, bootstrap seeds 0 to 4"),
        C(r"over five bootstrap seeds every upper end stays below zero",
          ('cell: assert all(c["high"] < 0 for c in alt_rm)',
           'cell: assert alt_c["alt_char_max"]["high"] < 0'),
          "the 48 Austen runs of the stand-in results (named), planes, a full quadratic and "
          "ranks in log lr and log dropout, bootstrap seeds 0 to 4"),
        C(r"every network ends below both baselines, by far",
          ('cell: assert max(alt_l["char"]) < alt_base["char"] and max(alt_l["regression"]) '
           '< alt_ridge',),
          "every Chicago run against persistence and ridge (numbers glued beside it)"),
        C(r"the mean exponent does not rank the runs",
          ('cell: assert alt_c["alt_regression_mean"]["low"] < 0 < '
           'alt_c["alt_regression_mean"]["high"]',),
          "the Chicago runs of the stand-in results, 2000 run bootstraps"),
        C(r"ranked held-out runs, with overlapping intervals",
          ('cell: assert min(e1s["low"], e1v["low"]) > 0',
           'cell: assert e1s["low"] < e1v["high"] and e1v["low"] < e1s["high"]'),
          "the earlier recipe's 40 motion runs, readout after one epoch, 200 splits"),
        C(r"stopped and restarted, it skips the runs already in the file",
          ("tests/test_experiments.py::test_run_experiments_writes_and_resumes",),
          "a tiny plan run twice: the second run trains nothing"),
        C(r"the motion trials are cut in time before any preprocessing, so no frame is shared "
          r"between splits",
          ("tests/test_mocap.py::test_preprocessing_closed_forms",),
          "a hand-made 400-frame trial: the validation part holds exactly its frames 320 to 359"),
        C(r"faster than $1/t$ for $p$ from {glue:text}`conv_p_lo:g` to 0.2 and cannot be told "
          r"from $1/t$",
          ('cell: assert all(f["low"] > 1 for f in fits[:-1])',
           'cell: assert conv[-1]["config"]["p"] == 0.5 and fits[-1]["low"] < 1 < '
           'fits[-1]["high"]'),
          "the six convergence runs, epochs 1 to 10 at a constant learning rate (named)"),
        C(r"where the validation loss did no better than chance; resampling the runs leaves "
          r"every one of these differences unresolved",
          ('cell: assert lo("regression", "val_loss") < hi("regression", "random")',
           'cell: assert all(b["low"] < 0 < b["high"] for b in boot.values())'),
          "the 40 motion runs (named): 500 pools; 100 run resamples of 100 pools each"),
        N(r"a run below the bigram's loss has learned more than which letter tends to follow "
          r"which", "definition"),
        N(r"rank statistics are unchanged by any monotone transformation", "definition"),
        N(r"the spectrum's change between epochs falls like $1/t$", "question"),
    ],
    "08": [
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
    ],
    "09": [
        C(r"ten layers bring any start between 0.1 and 5 to within 0.01 of it",
          ("cell: assert off > 0.03 if (sw, sb) == (1.0, 0.0) else off < 0.01",),
          "the five points printed, starts 0.1 and 5 (the variance map is increasing, so the "
          "two ends bracket every start between them)"),
        C(r"This offset shrinks as the width grows",
          ("tests/test_edge.py::"
           "test_mlp_gradient_growth_follows_chi1_and_its_finite_width_gap_shrinks",),
          "widths 32 and 128 (named in the text), depth 40, four sigma_w, two sigma_b, 3 seeds"),
        C(r"This offset *grows* with the width",
          ("tests/test_edge.py::"
           "test_mlp_gradient_growth_follows_chi1_and_its_finite_width_gap_shrinks",
           "cell: assert 0 < sv_gap.mean() < sv_limit + 0.02"),
          "widths 32 and 128 (named in the text); the chapter's width below the limit"),
        C(r"It vanishes only as the depth grows, like $(\ln L + 1)/(2L)$",
          ("tests/test_meanfield.py::"
           "test_product_top_rate_is_the_edge_of_a_product_of_gaussian_matrices",),
          "the asymptotics of the closed form ((L+1)ln(L+1) - L ln L)/(2L); the closed form "
          "checked against products of 400 x 400 Gaussian matrices at depths 2 and 4"),
        N(r"where the difference is more than a matter of size, the larger networks tell",
          "description"),
        N(r"larger networks take longer than this page may", "description"),
        C(r"at $N = 512$ no chaotic point is more than",
          ("cell: assert np.abs(resid[big]).max() < 2 / 128",
           "tests/test_edge.py::test_committed_results_follow_theory"),
          "every chaotic point of the committed file (the glued value is their maximum)"),
        C(r"the gap shrinks with $N$ more slowly than $1/N$: at $g = 1.25$ and $1.5$ it is more "
          r"than three times $c/N$ at $N = 256$ and $512$",
          ("cell: assert gap_n > 3 * mf.finite_size_coefficient(g, 0.0), (g, n)",),
          "g = 1.25 and 1.5 without input, N = 256 and 512 (named)"),
        C(r"all grow in proportion to $N$",
          ("cell: assert all(0.15 < f < 0.4 for f in ky.values())",
           "cell: assert max(ky.values()) - min(ky.values()) < 0.06",
           "tests/test_edge.py::test_spectrum_is_extensive"),
          "g = 2.5, N = 64, 128, 256 in the committed file; g = 3, N = 64 and 128 in the test"),
        C(r"their upper halves agree to within",
          ("cell: assert upper[64] < 0.2 and upper[128] < 0.05",),
          "N = 64 and 128 against 256 at g = 2.5 (named)"),
        C(r"yet its dimension grows with the network",
          ("cell: assert all(0.15 < f < 0.4 for f in ky.values())",
           "cell: assert max(ky.values()) - min(ky.values()) < 0.06"),
          "N = 64, 128, 256 (named): fractions within 0.06 of each other and above 0.15, so "
          "D_KY grows with N"),
        C(r"the band of positive exponents grows with the distance beyond the edge",
          ("cell: assert mean_pos[0] <= 2 and mean_pos[1] < mean_pos[3]",
           "cell: assert mean_pos[2] < 0.75 * mean_pos[4]"),
          "three 128-unit networks per gain, g = 1.1 to 2.5 (glued values named)"),
        N(r"The edge decides whether *any* direction grows", "definition"),
        C(r"their exponent is no lower than",
          ('cell: assert abs(crossings["rnn_tanh"] - pc) < 0.05 and gated_small > vanilla[0] + '
           '0.5',),
          "p = 0.05, 32 units, two seeds (the glued value is the smaller of GRU and LSTM)"),
        C(r"the gradient's offset shrinks with $N$, the top singular value's grows towards the "
          r"Gaussian-product value",
          ("tests/test_edge.py::"
           "test_mlp_gradient_growth_follows_chi1_and_its_finite_width_gap_shrinks",),
          "widths 32 and 128, depth 40"),
        C(r"annealed model matches the upper half",
          ("cell: assert ann_gap < 0.05",
           "tests/test_edge.py::test_annealed_model_top_exponent_is_mean_field"),
          "g = 2.5, N = 128, the upper 64 exponents; the top exponent at N = 96 in the test"),
        C(r"The rebuilt networks are checked against the results file",
          ('cell: assert st["rebuild_error"] < 1e-4',
           "tests/test_edge.py::test_initial_spectra_are_the_spectra_chapter_7_recorded"),
          "the ten marked motion runs, all 64 hidden-state exponents and the untrained "
          "validation loss (the glued value is the largest relative difference); in the test, "
          "motion and text runs of the learned recipe and a motion run of the paper's, and a "
          "run rebuilt without its zero read-out, which fails"),
        C(r"four other starting vectors move it by",
          ('cell: assert st["seed_spread"] < 0.04',),
          "the 40 motion runs, starting-vector seeds 1 to 4 against seed 0 (named; the glued "
          "value is the largest difference)"),
        C(r"Every one learned something",
          ("cell: assert np.ptp(persist) == 0 and np.all(gain7 > 0.05) and "
           "np.all(gain7_last > 0.005)",
           "cell: assert np.isclose(persist[0], mocap.persistence_mse(reg7.val, reg7.n_out), "
           "rtol=1e-4)"),
          "chapter 7's 40 learned motion runs, best and last-epoch validation loss, against "
          "each run's own untrained network (the same loss for all, that of repeating the last "
          "frame)"),
        C(r"rising with $p$",
          ("cell: assert np.all(lam7 < 0) and readout.spearman(p7, lam7) > 0.9",),
          "the 40 motion runs, p sampled from 0.05 to 0.5 (Spearman correlation of p and the "
          "exponent)"),
        C(r"are spread over the range of $p$",
          ("cell: assert np.ptp(p7[best]) > 0.2 and np.ptp(p7[worst]) > 0.2",),
          "the five best and five worst of the 40 motion runs: each group spans more than 0.2 "
          "of the 0.45-wide range"),
        C(r"a larger $p$, and so a start nearer the edge (the two rank almost alike), went with "
          r"a slightly lower best loss, but only just measurably",
          ('cell: assert all(r["r"] < 0 and -0.1 < r["high"] < 0.1 for r in [rho, *rho_seeds])',
           "cell: assert np.all(lam7 < 0) and readout.spearman(p7, lam7) > 0.9"),
          "the 40 motion runs, five starting vectors: the rank correlation is negative and the "
          "upper end of its bootstrap interval within 0.1 of zero, on either side (glued)"),
        C(r"its rank says nothing measurable about the best loss",
          ('cell: assert rho_char["low"] < 0 < rho_char["high"]',),
          "the 48 text runs of the random search (p = 0.08); the interval contains zero"),
        C(r"rising with each step up in $p$",
          ("cell: assert np.all(lamc < 0) and np.all(np.diff(lamc) > 0)",),
          "the six text runs that vary p (0.04 to 0.5, named), one seed each, full-state "
          "exponent at initialisation"),
        C(r"Each of them reached its best validation loss before its last epoch",
          ("cell: assert np.all(last_c > lossc) and np.all(best_c < n_ep)",
           'cell: assert all(c["epochs"] == n_ep for c in conv_cfg)'),
          "the six text runs that vary p, 20 epochs each (the glued best epochs are the "
          "earliest and latest of the six)"),
        C(r"show no trend that {glue:text}`ch9_nconv7` runs can measure",
          ('cell: assert rho_conv["low"] < 0 < rho_conv["high"]',
           "cell: assert np.all(lamc < 0) and np.all(np.diff(lamc) > 0)"),
          "the six text runs that vary p (0.04 to 0.5), one seed each: the bootstrap interval "
          "of the Spearman correlation between the exponent at initialisation and the best "
          "loss contains zero (glued); the exponent rises with p, so p ranks the same"),
        C(r"no run of either task started at the edge",
          ("cell: assert np.all(lam7 < 0) and readout.spearman(p7, lam7) > 0.9",
           'cell: assert np.ptp(char["p"]) == 0 and np.all(char["lambda_max"] < 0)',
           "cell: assert np.all(lamc < 0) and np.all(np.diff(lamc) > 0)",
           "cell: assert lam_all_max < -0.05"),
          "all 94 runs of chapter 7's learned recipe (40 motion, 48 + 6 text), full-state "
          "exponent at initialisation"),
        C(r"where $p$ varied, a larger $p$, and so a start nearer the edge, went with a slightly "
          r"lower best loss in the {glue:text}`ch9_n7` motion runs, but only just measurably; in "
          r"the {glue:text}`ch9_nconv7` text runs (one seed each) it went with no measurable "
          r"change",
          ('cell: assert all(r["r"] < 0 and -0.1 < r["high"] < 0.1 for r in [rho, *rho_seeds])',
           'cell: assert rho_conv["low"] < 0 < rho_conv["high"]',
           "cell: assert np.all(last_c > lossc) and np.all(best_c < n_ep)"),
          "the 40 motion runs, p sampled from 0.05 to 0.5, five starting vectors (upper end of "
          "the interval within 0.1 of zero); the six text runs that vary p (0.04 to 0.5), each "
          "past its best when it ended (interval contains zero); both named"),
        C(r"borderline in the {glue:text}`ch9_n7` motion runs, not measurable in the "
          r"{glue:text}`ch9_nconv7` text runs",
          ('cell: assert all(r["r"] < 0 and -0.1 < r["high"] < 0.1 for r in [rho, *rho_seeds])',
           'cell: assert rho_conv["low"] < 0 < rho_conv["high"]'),
          "the summary of the sentence above: 40 motion runs, six text runs (named)"),
        N(r"Which one does the engine agree with?", "question"),
        C(r"Over a long run the engine agrees with it to within a few thousandths",
          ("tests/test_solutions_ch09.py::test_ordered_lambda_is_what_the_engine_measures",),
          "three 64-unit networks at g = 0.6, 3000 steps, within 5e-3 (named)"),
        C(r"the gain needed for chaos grows like the square root of the input strength",
          ("tests/test_solutions_ch09.py::test_large_input_asymptote",),
          "sigma = 5, 50, 400: the ratio to the asymptote falls to within 0.005 of 1"),
    ],
    "10": [
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
    ],
    "teaching": [
        C(r"with tests the submissions never see",
          ("tests/test_coursework.py::test_generate_writes_student_and_grader_files",
           "tests/test_coursework_hostile.py::"
           "test_the_sandbox_sees_no_network_no_library_and_no_other_files",
           "tests/test_coursework_hostile.py::"
           "test_patching_is_flagged_from_the_text_and_unseen_patches_gain_nothing"),
          "every master's student notebook; hostile submissions opening the tests' files"),
        C(r"never with the reference solution's own output",
          ("tests/test_claims.py::test_hidden_tests_embed_no_line_of_the_reference_solution",),
          "every question of every master (named in the text)"),
        C(r"it stops with the reason and writes nothing: never zeros for everyone",
          ("tests/test_coursework_hostile.py::"
           "test_a_broken_sandbox_refuses_to_mark_and_writes_nothing",),
          "a sandbox whose mount hides the Python environment: marking raises and the folder "
          "holds only the submission"),
        C(r"(numbers, arrays, tensors; never a pickle)",
          ("tests/test_coursework_hostile.py::test_the_decoder_refuses_forged_replies_at_once",
           "tests/test_coursework_hostile.py::test_the_decoder_still_carries_honest_values"),
          "the worker's JSON codec: a pickle tag is refused, arrays, tensors, modules and "
          "numbers cross"),
        C(r"(the tests mark one with 30 MB of outputs like the others)",
          ("tests/test_coursework_hostile.py::test_honest_submissions_get_full_marks_and_no_note",),
          "one chapter-1 notebook with 30 MB of outputs (named): full marks, no note"),
        C(r"In the tests, honest notebooks of chapters 1 and 3 are marked within a budget of "
          r"40 seconds each",
          ("tests/test_coursework_hostile.py::test_honest_submissions_get_full_marks_and_no_note",
           "tests/test_coursework_hostile.py::test_one_time_budget_per_notebook"),
          "the hostile class's honest notebooks (chapters 1 and 3), budget 40 s (named): none "
          "gets a time-out note"),
        C(r"(re)makes the graders of any master that changed",
          ("tests/test_coursework_hostile.py::test_stale_graders_are_made_again",),
          "one master edited after its grader was made"),
        C(r"`TIMEOUT` seconds is the budget of the whole notebook: its cells, any rerun or "
          r"restart of them and every call of its functions by the tests, together",
          ("tests/test_coursework_hostile.py::test_one_time_budget_per_notebook",),
          "slow calls, crashing calls (restarts) and an endless loop (rerun) in the hostile "
          "class, budget 40 s"),
        C(r"(a link is never followed, so a link to your solutions earns nothing)",
          ("tests/test_coursework_hostile.py::test_links_and_folders_are_refused_with_a_note",),
          "a symbolic link to the reference solutions and a folder named *.ipynb"),
        C(r"one whose file name names another chapter than its metadata is marked as the "
          r"metadata says, with a note",
          ("tests/test_coursework_hostile.py::"
           "test_a_chapter_named_wrongly_is_marked_by_its_content_with_a_note",),
          "a chapter-1 notebook named ch03"),
        N(r"and wants more points than the answers earn", "description"),
        C(r"reply that the sandbox's worker never sends when honest (malformed, oversized, nested "
          r"too deep, integers with thousands of digits, a module larger than the weights sent with "
          r"it) ends the session at once",
          ("tests/test_coursework_hostile.py::test_the_decoder_refuses_forged_replies_at_once",
           "tests/test_coursework_hostile.py::"
           "test_a_forged_reply_ends_the_session_and_withholds_the_marks",
           "tests/test_coursework_hostile.py::test_the_decoder_still_carries_honest_values"),
          "nine forged replies (each kind named in the text), one forged inside a sandbox; "
          "honest values still decode"),
        C(r"All public checks run first, before any hidden test has called the submission",
          ("tests/test_coursework_hostile.py::test_hidden_inputs_never_reach_the_students_feedback",),
          "a submission that records every call and reports the count in its public checks"),
        C(r"one memory budget for all its processes together",
          ("tests/test_coursework_hostile.py::"
           "test_processes_memory_and_disk_are_bounded_per_submission",),
          "a fork bomb, a several-process memory hog and a disk filler, at the test's limits "
          "(3 GiB, 64 processes)"),
        C(r"A known-good notebook is marked before any submission",
          ("tests/test_coursework_hostile.py::"
           "test_a_broken_sandbox_refuses_to_mark_and_writes_nothing",),
          "a sandbox that hides the Python environment"),
        C(r"a symbolic link in the folder is refused, never followed",
          ("tests/test_coursework_hostile.py::test_links_and_folders_are_refused_with_a_note",),
          "a link to the reference solutions"),
        C(r"any failure ends the session, kills the sandbox and is flagged `TAMPERING`",
          ("tests/test_coursework_hostile.py::"
           "test_a_forged_reply_ends_the_session_and_withholds_the_marks",
           "tests/test_coursework_hostile.py::test_the_decoder_refuses_forged_replies_at_once"),
          "a forged reply inside a sandbox and nine forged messages to the decoder"),
        C(r"4 GiB for all its processes together",
          ("tests/test_coursework_hostile.py::"
           "test_processes_memory_and_disk_are_bounded_per_submission",),
          "the mechanism at the test's limit of 3 GiB (4 GiB is Limits' default, a doctest)"),
        N(r"tests that check less than they should", "description"),
        C(r"assigning to (or deleting) an attribute or an item of an imported numpy, torch, "
          r"otter, scipy, IPython, `math` or `sys` module or of the builtins",
          ("tests/test_claims.py::test_the_tampering_reading_flags_what_the_teaching_page_names",
           "tests/test_coursework_hostile.py::"
           "test_patching_is_flagged_from_the_text_and_unseen_patches_gain_nothing"),
          "every module named, assignment and deletion, under any name; an unguarded "
          "module not flagged; "
          "a patched numpy in a marked class"),
    ],
}
