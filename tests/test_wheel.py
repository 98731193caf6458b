"""The library as a student gets it: a wheel installed into a fresh venv, used outside the checkout.

Builds the wheel from a copy of the package's sources (offline, no build isolation), installs it
with ``--no-deps`` into a new venv under the temporary folder whose ``sys.path`` also holds the
running venv's site-packages (for numpy, torch, ...; a ``.pth`` file, because
``--system-site-packages`` would reach the base Python's, not this venv's), and from another
folder, with no ``PYTHONPATH`` and no ``LYAPLEARN_DATA``: computes a spectrum against its closed
form, reads chapters 7 and 9's committed results, runs chapter 1's calls and one small chapter-7
training run whose checkpoints and results file must land in the user's folders. Checks that
``lyaplearn`` is the installed copy, that the solutions are not in it, that every module of the
student's library imports without loading the teacher's tools (``lyaplearn.teacher``, otter) or
the maintainer's, and that nothing is written into site-packages.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.fp_insensitive, pytest.mark.slow]

# What the installed library must do, run by the new venv's Python; prints one JSON line.
SCRIPT = textwrap.dedent('''
    import importlib.util, json, math, os, sys
    from pathlib import Path

    import numpy as np
    import torch

    site_dir, xdg_cache, xdg_data = (Path(a).resolve() for a in sys.argv[1:4])
    import lyaplearn
    from lyaplearn import _paths, data, edge, experiments, readout, scalar
    from lyaplearn.recurrent import lyapunov_spectrum

    out = {"file": lyaplearn.__file__, "cwd": os.getcwd(),
           "solutions": importlib.util.find_spec("lyaplearn.solutions") is not None,
           "checkout": str(_paths.source_checkout()), "data_root": str(data.data_root())}

    # every module of the student's library imports without the teacher's tools or extra, and
    # without the maintainer's (both are in the wheel, for `pip install "lyaplearn[teacher]"`)
    import pkgutil
    apart = {"teacher", "maintainer", "solutions", "coursework", "sandbox", "publish", "bench"}
    out["student"] = sorted(m.name for m in pkgutil.iter_modules(lyaplearn.__path__) if m.name not in apart)
    out["skipped"] = []
    for name in out["student"]:
        try:
            importlib.import_module("lyaplearn." + name)
        except ModuleNotFoundError as e:          # an optional extra's package (lightning)
            if (e.name or "").startswith("lyaplearn"):
                raise
            out["skipped"].append(name)
    out["teachers_loaded"] = sorted(m for m in sys.modules if m.split(".")[0] == "otter"
                                    or m.split(".")[:2] in (["lyaplearn", "teacher"], ["lyaplearn", "maintainer"]))
    out["teacher_shipped"] = [importlib.util.find_spec(m) is not None
                              for m in ("lyaplearn.teacher.coursework", "lyaplearn.maintainer.bench")]

    # chapter 6's engine: a tanh RNN at rest (h0 = 0, zero input) is linear with Jacobian
    # W_hh = diag(w), so the exponents are log|w|, exactly
    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 3, bias=False, batch_first=True).double()
    w = torch.tensor([0.5, -0.25, 0.125], dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.diag(w))
    res = lyapunov_spectrum(rnn, torch.zeros(2, 40, 2, dtype=torch.float64))
    out["exponents"] = res.numpy().tolist()
    out["expected"] = np.log(np.abs(w.numpy())).tolist()

    # chapters 7 and 9's committed results, read as package data
    ch7 = experiments.load_results()
    out["ch7"] = [ch7["size"], len(ch7["runs"])]
    out["ch7_tasks"] = sorted(row["task"] for row in readout.cost_table(ch7))
    out["ch7_standins"] = len(experiments.load_results(
        experiments.RESULTS_DIR / "ch07_austen_chicago.json")["runs"])
    out["ch9_points"] = len(edge.load_results()["lambda_max"])

    # chapter 1's calls: gradient descent on a*theta^2/2 is theta0 * (1 - eta a)^t
    traj = scalar.gd_trajectory(0.5, 3.0, 2.0, 6)
    out["ch1_trajectory"] = np.asarray(traj).tolist()
    out["ch1_regime"] = scalar.gd_regime(0.5, 3.0) == scalar.OSCILLATING_SHRINKING
    out["ch1_figure_axes"] = len(scalar.plot_gd_regimes().axes)

    # the data sets are looked for in the user's cache folder, and their absence says so
    try:
        data.load_text()
        out["missing"] = None
    except data.DataMissingError as e:
        out["missing"] = str(e)

    # one tiny chapter-7 plan on synthetic data: checkpoints go to the user's cache, the
    # results file to the user's data folder (the defaults outside a checkout)
    rng = np.random.default_rng(0)
    splits = {"char": data.text_splits("".join(rng.choice(list("ab c"), 3000))),
              "regression": data.regression_splits(np.cumsum(rng.normal(size=(600, 12)), 0),
                                                   n_out=4)}
    experiments.SIZES["tiny"] = dict(hidden=4, batch=2, steps_per_epoch=2, epochs=1,
                                     conv_epochs=1, conv_ps=(0.1,), n_char=1, n_reg=1,
                                     eval_len=100, probe_steps=10, probe_warmup=5)
    torch.set_num_threads(1)
    runs = experiments.run_experiments("tiny", data=splits, progress=False)["runs"]
    out["tiny_runs"] = len(runs)
    out["tiny_results"] = sorted(str(p.relative_to(xdg_data)) for p in xdg_data.rglob("*"))
    out["tiny_checkpoints"] = sorted(str(p.relative_to(xdg_cache / "lyaplearn"))
                                     for p in (xdg_cache / "lyaplearn").rglob("*"))
    print(json.dumps(out))
''')


def _tree(folder: Path) -> dict:
    """Every file (with its size and modification time) and folder under ``folder``, less
    Python's own bytecode caches (the interpreter's, where pip did not compile, not the
    library's)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            if p.is_file() else "folder"
            for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory, repo_root):
    """A fresh venv under the temporary folder holding the wheel built from this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(repo_root / name, src / name)
    # a copy, so that the build's build/ and *.egg-info never land in the checkout
    shutil.copytree(repo_root / "lyaplearn", src / "lyaplearn",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "--disable-pip-version-check", "-w", str(dist),
                    str(src)], check=True, cwd=tmp)
    (wheel,) = dist.glob("lyaplearn-*.whl")

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    new_site = Path(subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies (and pip) from this venv's site-packages, after the new venv's own
    (new_site / "_shared_dependencies.pth").write_text(
        "".join(p + "\n" for p in site.getsitepackages()))
    env = _clean_env(tmp)
    # --ignore-installed: the shared venv's own lyaplearn (seen through the .pth) is left alone
    subprocess.run([py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--ignore-installed", "--disable-pip-version-check", str(wheel)],
                   check=True, env=env, cwd=tmp)
    return {"tmp": tmp, "python": py, "site": new_site, "env": env}


def _clean_env(tmp: Path) -> dict:
    """The environment of a user with nothing set: no PYTHONPATH, no LYAPLEARN_DATA, and the
    user's folders (XDG) under ``tmp`` so that the test can look into them."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "LYAPLEARN_DATA", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(XDG_CACHE_HOME=str(tmp / "xdg-cache"), XDG_DATA_HOME=str(tmp / "xdg-data"),
               MPLBACKEND="Agg", PYTHONNOUSERSITE="1", OMP_NUM_THREADS="1")
    return env


def test_wheel_works_from_another_folder(installed, repo_root):
    tmp, site_dir = installed["tmp"], installed["site"]
    cwd = tmp / "x"
    cwd.mkdir()
    before = _tree(site_dir)
    proc = subprocess.run([installed["python"], "-c", SCRIPT, str(site_dir),
                           str(tmp / "xdg-cache"), str(tmp / "xdg-data")],
                          cwd=cwd, env=installed["env"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])

    # the installed copy, not the checkout; no solutions in the student's package
    assert Path(out["file"]).resolve() == (site_dir / "lyaplearn" / "__init__.py").resolve()
    assert repo_root not in Path(out["file"]).resolve().parents
    assert out["cwd"] == str(cwd) and out["checkout"] == "None"
    assert not out["solutions"]
    # the student's library stands apart from the teacher's and the maintainer's
    assert {"recurrent", "scalar", "edge", "widgets", "_paths"} <= set(out["student"])
    assert set(out["skipped"]) <= {"lightning"}, out["skipped"]
    assert out["teachers_loaded"] == [], out["teachers_loaded"]
    assert out["teacher_shipped"] == [True, True]
    # caches and new results in the user's folders, nothing new in site-packages
    assert out["data_root"] == str(tmp / "xdg-cache" / "lyaplearn" / "data")
    assert out["missing"] is not None and out["data_root"] in out["missing"]
    assert _tree(site_dir) == before, "the library wrote into site-packages"

    np.testing.assert_allclose(out["exponents"], [out["expected"]] * 2, rtol=0, atol=1e-12)
    assert out["ch7"] == ["full", 94] and out["ch7_tasks"] == ["char", "regression"]
    assert out["ch7_standins"] == 76 and out["ch9_points"] == 120
    np.testing.assert_allclose(out["ch1_trajectory"], 2.0 * (-0.5) ** np.arange(7), rtol=1e-15)
    assert out["ch1_regime"] and out["ch1_figure_axes"] >= 1
    assert out["tiny_runs"] == 3
    assert out["tiny_results"] == ["lyaplearn", "lyaplearn/results",
                                   "lyaplearn/results/ch07_tiny.json"]
    # checkpoints, and the results file's lock, in the user's cache folder (nothing else there)
    assert [p for p in out["tiny_checkpoints"] if not p.startswith("locks")] == [
        "ch07-checkpoints", "ch07-checkpoints/tiny"]
    assert all(p == "locks" or p.endswith(".lock") for p in out["tiny_checkpoints"]
               if p.startswith("locks"))
