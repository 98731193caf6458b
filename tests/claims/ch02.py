"""Chapter 2 (book/02_jacobian_products.ipynb): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C

ENTRIES: list = [
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
]
