# Four processes of 1 GiB each: each stays under the per-process limit, together they pass
# the submission's memory budget (3 GiB in the test): the kernel ends some of them.
import subprocess
import sys

hogs = [subprocess.Popen([sys.executable, "-c", "import time\nblock = b'x' * 2**30\ntime.sleep(5)"])
        for _ in range(4)]
codes = [p.wait() for p in hogs]
