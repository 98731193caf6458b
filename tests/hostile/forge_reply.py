# Finds the worker's channel among its open pipes and writes a forged reply nested 100,000
# deep (the decoder once crashed on it and left the sandbox running). The marker must end
# the session, kill the sandbox and withhold the marks, at once.
import os
import stat
import time


def theta_closed(t, eta, a, c, theta0):
    body = b'{"op": "result", "error": null, "value": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, b"%08x" % len(body) + body)
        except OSError:
            pass
    time.sleep(3600)
