"""Chapter 9 (book/09_edge_of_chaos.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
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
]
