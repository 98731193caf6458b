# The first of two colluding students: leaves the answer of q2 in nobody's user keyring,
# which outlives a run unless the sandbox's keyrings are out of reach.
import ctypes

try:
    keyutils = ctypes.CDLL("libkeyutils.so.1", use_errno=True)
    keyutils.add_key(b"user", b"lyaplearn-test-answer", b"0.225,0.275", 11, -4)    # -4: user keyring
except OSError:
    pass
