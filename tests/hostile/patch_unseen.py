# Patches numpy in a way the marker's reading of the text does not see, with a wrong answer
# to q1: the patch stays in the sandbox (the tests compare outside), so q1 still scores 0.
import numpy as np

[np][0].isclose = lambda *args, **kwargs: True


def theta_closed(t, eta, a, c, theta0):
    return 0.0
