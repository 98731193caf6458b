#!/usr/bin/env bash
# Every test of `make test`, after the setup (called by the Makefile).
#
# First the linter (ruff, its rules in pyproject.toml; `make check` runs it too). Then the
# parts that do not depend on one another run side by side, each writing
# to its own log, because much of their time is single-threaded (kernel
# start-up, imports, small tensors) and the machine has two cores:
#   - the library tests, default configuration (the slow ones included: the wheel
#     installed into a fresh venv, the sandboxed marking, PostgreSQL, chapter 9's sizes);
#   - the trajectory tests and every notebook under two other floating-point
#     configurations (scripts/fp_matrix.sh);
#   - the website build with warnings as errors, which executes every notebook
#     in the default configuration (an exception in a cell fails the build).
# Then the browser tests of the built site. A failing part fails the whole run,
# after every log has been printed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
LOGS=_build/test-logs
mkdir -p "$LOGS"
# keep idle OpenMP threads from spinning while other processes need the cores
export OMP_WAIT_POLICY=PASSIVE
# The four jobs below share the machine's cores. OpenBLAS's worker threads busy-wait, so with
# more threads than cores a numpy product waits on spinning threads (a test of 0.5 s alone took
# 20-40 s beside the other jobs): one OpenBLAS thread per job. torch keeps its own threads.
export OPENBLAS_NUM_THREADS=1

$PY -m ruff check . || { echo "make test: FAILED: ruff check (the linter)"; exit 1; }
$PY scripts/fp_fingerprint.py || exit 1

declare -A jobs
run() {  # run NAME COMMAND...: in the background, output to $LOGS/NAME.log
    local name=$1; shift
    ( start=$SECONDS; "$@"; rc=$?; echo; echo "[$name: $((SECONDS - start)) s wall]"; exit $rc ) \
        > "$LOGS/$name.log" 2>&1 &
    jobs[$name]=$!
}
run library        $PY -m pytest tests --ignore=tests/site -p no:cacheprovider --durations=10
run vectorised-off bash scripts/fp_matrix.sh vectorised-off
run mkl-compatible bash scripts/fp_matrix.sh mkl-compatible
run site           make --no-print-directory site

failed=()
for name in library vectorised-off mkl-compatible site; do
    if wait "${jobs[$name]}"; then status=ok; else status=FAILED; failed+=("$name"); fi
    echo
    echo "======== $name: $status ========"
    if [ "$name" = site ] && [ "$status" = ok ]; then
        grep -E "Executing notebook|build succeeded|WARNING|^\[site: " "$LOGS/$name.log" || true
    else
        cat "$LOGS/$name.log"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "make test: FAILED: ${failed[*]} (logs in $LOGS/)"
    exit 1
fi
$PY -m pytest tests/site -p no:cacheprovider
