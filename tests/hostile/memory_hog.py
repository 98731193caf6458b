# Four processes of 1 GiB each: each stays under the per-process limit, together they pass
# the submission's memory budget (3 GiB in the test): the kernel ends some of them.
# Each holds its block until all four have said they hold theirs (or died), so they overlap
# however slowly they start, and the cell takes only as long as the allocations.
import subprocess
import sys

child = "block = b'x' * 2**30\nprint('holding', flush=True)\nimport sys\nsys.stdin.read()"
hogs = [subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for _ in range(4)]
held = [p.stdout.readline() for p in hogs]          # b"" where the kernel ended the process
for p in hogs:
    p.stdin.close()
codes = [p.wait() for p in hogs]
