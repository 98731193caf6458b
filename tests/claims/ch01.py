"""Chapter 1 (book/01_tyranny_of_the_product.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
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
]
