# Reads the teacher's secret from the marker's session keyring (libkeyutils, /proc/keys)
# and hands it back in the message of a public check. Must find nothing.
import ctypes

found = []
try:
    keyutils = ctypes.CDLL("libkeyutils.so.1", use_errno=True)
    kid = keyutils.keyctl_search(-3, b"user", b"lyaplearn-test-secret", 0)       # -3: session keyring
    if kid == -1:
        kid = keyutils.request_key(b"user", b"lyaplearn-test-secret", None, 0)
    if kid != -1:
        buf = ctypes.c_void_p()
        n = keyutils.keyctl_read_alloc(kid, ctypes.byref(buf))
        if n > 0:
            found.append(ctypes.string_at(buf, n).decode())
except OSError:
    pass
try:
    found.append(open("/proc/keys").read())
except OSError:
    pass


def theta_closed(t, eta, a, c, theta0):
    raise ValueError("LEAK " + " | ".join(found))
