# Overwrites the teacher's key and plants keys of its own in the session and user keyrings.
# Must change nothing outside its sandbox.
import ctypes

try:
    keyutils = ctypes.CDLL("libkeyutils.so.1", use_errno=True)
    kid = keyutils.keyctl_search(-3, b"user", b"lyaplearn-test-secret", 0)
    if kid != -1:
        keyutils.keyctl_update(kid, b"overwritten", 11)
    for ring in (-3, -4, -5):           # session, user, user-session keyrings
        keyutils.add_key(b"user", b"lyaplearn-test-planted", b"planted", 7, ring)
except OSError:
    pass
