# Every call takes just under the per-call limit: only the notebook's one budget stops it.
import time

_theta = theta_closed


def theta_closed(t, eta, a, c, theta0):
    time.sleep(4.5)
    return _theta(t, eta, a, c, theta0)
