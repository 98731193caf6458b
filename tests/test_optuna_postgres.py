"""Chapter 7's distributed search as it would run: Optuna workers sharing one study on PostgreSQL.

The test starts its own PostgreSQL server (Debian's ``postgresql``, installed by
``scripts/ensure_debian.sh``, part of ``make test``) in a temporary folder,
listening on a unix socket only, and runs :func:`lyaplearn.experiments.optuna_search`
in separate worker processes pointed at it, as separate machines would be.
It skips, saying why, only where the server binaries or the driver are missing.
"""

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.fp_sensitive, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))

WORKER = r"""
import sys
import numpy as np
from lyaplearn import data as D, experiments as X, training as T
url, study, readout, lo, hi, n, seed = sys.argv[1:]
text = "".join(np.random.default_rng(0).choice(["the ", "cat ", "sat ", "on ", "a "], 3000))
base = T.RunConfig(hidden=8, batch=4, seq_len=20, steps_per_epoch=15, epochs=3, eval_len=300,
                   probe_n=2, probe_warmup=5, probe_steps=20)
X.optuna_search(D.text_splits(text), base, n_trials=int(n), storage=url, study_name=study,
                readout=None if readout == "none" else readout, seed=int(seed),
                lr_range=(float(lo), float(hi)))
"""


@pytest.fixture(scope="module")
def server():
    if not BINS:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): run "
                    "scripts/ensure_debian.sh postgresql (Debian's postgresql) to test the distributed search")
    pytest.importorskip("psycopg", reason="the PostgreSQL driver psycopg (the test extra) is missing")
    pytest.importorskip("optuna")
    bindir = Path(BINS[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="lyaplearn-pg-"))
    as_user = []
    if os.geteuid() == 0:     # the server refuses to run as root: run it as `postgres`
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server as")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]

    def pg(*args):
        return subprocess.run(as_user + [str(bindir / args[0]), *args[1:]], check=True,
                              capture_output=True, text=True, timeout=120)

    data = base / "data"
    pg("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    pg("pg_ctl", "-D", str(data), "-l", str(base / "server.log"), "-w", "-o",
       f"-k {base} -c listen_addresses='' -F", "start")
    try:
        pg("createdb", "-h", str(base), "-U", "postgres", "optuna")
        yield f"postgresql+psycopg://postgres@/optuna?host={base}"
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _workers(url, study, specs):
    """Start one process per (readout, lr_lo, lr_hi, n_trials, seed) together; wait for all.

    The study (and with it Optuna's tables) is created once first, as one would before
    starting workers on several machines: workers that all find an empty database race
    to create the same tables, and all but one fail.
    """
    import optuna

    optuna.create_study(study_name=study, storage=url, load_if_exists=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, study, *map(str, s)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for s in specs]
    for p in procs:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out


def test_two_workers_share_one_study_and_record_every_trial_once(server):
    import optuna
    import psycopg

    _workers(server, "shared", [("spectrum", 3e-3, 2e-2, 4, 1), ("spectrum", 3e-3, 2e-2, 4, 2)])
    study = optuna.load_study(study_name="shared", storage=server)
    trials = study.get_trials(deepcopy=False)
    assert sorted(t.number for t in trials) == list(range(8))
    workers = [t.user_attrs["worker"] for t in trials]
    assert len(set(workers)) == 2 and all(workers.count(w) == 4 for w in set(workers))
    assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}
    for t in trials:   # a pruned trial stopped at the rung, a complete one trained to the end
        assert t.user_attrs["epochs"] == (3 if t.state.name == "COMPLETE" else 1)
        assert list(t.intermediate_values) == [1]
    # and in the database itself: one row per trial, no number twice
    dsn = server.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as con:
        rows = con.execute("SELECT t.number FROM trials t JOIN studies s USING (study_id) "
                           "WHERE s.study_name = 'shared'").fetchall()
    assert sorted(r[0] for r in rows) == list(range(8))


def test_the_pruner_uses_the_other_workers_trials(server):
    import optuna

    # worker A trains three configurations that learn (and reports the rung's validation loss)
    _workers(server, "pruning", [("val_loss", 1e-2, 3e-2, 3, 3)])
    # worker B's only trial cannot learn (learning rate 1e-9): it has no completed trial of its
    # own, so only A's records can show that its loss at the rung is worse than the median
    _workers(server, "pruning", [("val_loss", 1e-9, 1.1e-9, 1, 4)])
    study = optuna.load_study(study_name="pruning", storage=server)
    trials = study.get_trials(deepcopy=False)
    a = [t for t in trials if t.number < 3]
    (b,) = [t for t in trials if t.number == 3]
    assert b.user_attrs["worker"] not in {t.user_attrs["worker"] for t in a}
    done = [t for t in a if t.state.name == "COMPLETE"]
    assert len(done) >= 2
    # the margin that makes the decision certain: B's rung loss is far above every one of A's
    assert b.intermediate_values[1] > max(t.intermediate_values[1] for t in done) + 0.1
    assert b.state.name == "PRUNED" and b.user_attrs["epochs"] == 1
