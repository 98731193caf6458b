"""Chapter 6 (book/06_lstm_spectrum.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
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
]
