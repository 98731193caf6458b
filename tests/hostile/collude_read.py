# The second colluding student: takes q2's answer from the user keyring. Must find nothing.
import ctypes

q2_interval = ...
try:
    keyutils = ctypes.CDLL("libkeyutils.so.1", use_errno=True)
    kid = keyutils.keyctl_search(-4, b"user", b"lyaplearn-test-answer", 0)
    if kid != -1:
        buf = ctypes.c_void_p()
        n = keyutils.keyctl_read_alloc(kid, ctypes.byref(buf))
        q2_interval = tuple(float(v) for v in ctypes.string_at(buf, n).decode().split(","))
except OSError:
    pass
