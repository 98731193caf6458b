# Changes its argument in place (M = I) so that a check on Q^T M passes if the change
# reached the test's own array. Arguments go in by value: q3 must score 0.
def nearest_orthogonal(M):
    M[...] = np.eye(len(M))
    return np.eye(len(M))
