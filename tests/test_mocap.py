"""The BVH reader and the motion-capture preprocessing, on hand-made files with known answers,
and the installed CMU trials by checksum and by facts about them."""

import numpy as np
import pytest

from lyaplearn import data as D
from lyaplearn import mocap as M

pytestmark = pytest.mark.fp_sensitive

HAND_MADE = """HIERARCHY
ROOT Hips
{
\tOFFSET 0 0 0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
\tJOINT Knee
\t{
\t\tOFFSET 0 -5 0
\t\tCHANNELS 3 Zrotation Yrotation Xrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0 -5 0
\t\t}
\t}
}
MOTION
Frames: {n}
Frame Time: 0.0083333
{rows}
"""


def write_bvh(path, values):
    rows = "\n".join(" ".join(f"{v:g}" for v in r) for r in values)
    path.write_text(HAND_MADE.replace("{n}", str(len(values))).replace("{rows}", rows))
    return path


def test_read_bvh_of_a_hand_made_file(tmp_path):
    v = np.arange(4 * 9, dtype=float).reshape(4, 9)
    m = M.read_bvh(write_bvh(tmp_path / "a.bvh", v))
    assert m.joints == ("Hips", "Knee")
    assert m.channels == ("Hips:Xposition", "Hips:Yposition", "Hips:Zposition", "Hips:Zrotation",
                          "Hips:Yrotation", "Hips:Xrotation", "Knee:Zrotation", "Knee:Yrotation",
                          "Knee:Xrotation")
    np.testing.assert_array_equal(m.values, v)
    assert m.rate == pytest.approx(120.0, rel=1e-4)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("Frames: 4", "Frames: 5"), "Frames: 5"),
    (lambda s: s.replace("CHANNELS 3 Zrotation", "CHANNELS 4 Zrotation"), "announces 4"),
    (lambda s: s.replace("HIERARCHY", "HIERARCH"), "HIERARCHY"),
    (lambda s: s.replace("MOTION", "}\nMOTION", 1), "unbalanced"),
    (lambda s: s.replace("Frame Time: 0.0083333", "Frame Tim 1"), "Frame Time"),
])
def test_malformed_bvh_is_refused_with_the_line(tmp_path, edit, message):
    p = write_bvh(tmp_path / "a.bvh", np.ones((4, 9)))
    p.write_text(edit(p.read_text()))
    with pytest.raises(ValueError, match=message):
        M.read_bvh(p)


def test_a_frame_with_a_missing_value_is_refused(tmp_path):
    p = write_bvh(tmp_path / "a.bvh", np.ones((4, 9)))
    p.write_text(p.read_text().rstrip("\n").rsplit(" ", 1)[0] + "\n")
    with pytest.raises(ValueError, match="8 values for 9 channels"):
        M.read_bvh(p)


def motion(values):
    names = ("Hips:Xposition", "Hips:Yposition", "Hips:Zposition", "Hips:Zrotation",
             "Knee:Xrotation", "Knee:Yrotation")
    return M.Motion(("Hips", "Knee"), names, 1 / 120, np.asarray(values, float))


def test_preprocessing_closed_forms():
    n = 400
    t = np.arange(n)
    v = np.zeros((n, 6))
    v[:, 0] = 0.5 * t + 0.001 * t ** 2       # walking along x, speeding up
    v[:, 1] = 10 + np.sin(t / 9)             # hips bob
    v[:, 2] = 3.0                            # constant: dropped
    v[:, 3] = (2.0 * t + 180) % 360 - 180    # turning steadily, wrapped to [-180, 180)
    v[:, 4] = 30 * np.cos(t / 7)
    v[:, 5] = 5 * np.sin(t / 5)
    r = M.mocap_splits([motion(v)], factor=4, n_out=2)
    assert r.columns == ("Hips:Xposition (velocity)", "Hips:Yposition", "Hips:Zrotation",
                         "Knee:Xrotation", "Knee:Yrotation")
    # 80/10/10 of 400 frames, 4 phases, one step lost per piece to the velocity
    assert (len(r.train), len(r.val), len(r.test)) == (4 * (80 - 1), 4 * (10 - 1), 4 * (10 - 1))
    raw = [r.train * r.std + r.mean, r.val * r.std + r.mean, r.test * r.std + r.mean]
    # the velocity per downsampled step: phase 0 of the training part first
    np.testing.assert_allclose(raw[0][: 80 - 1, 0], np.diff(v[0:320:4, 0]))
    for x in raw:
        # unwrapped: within each of the 4 phase pieces the turning angle grows by 8 degrees a
        # step and never jumps back by 360 (the pieces themselves are joined end to end)
        pieces = x[:, 2].reshape(4, -1)
        np.testing.assert_allclose(np.diff(pieces, axis=1), 8.0, atol=1e-9)
    # normalised by the training part only
    np.testing.assert_allclose(r.train.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(r.train.std(0), 1, atol=1e-12)
    # no leakage: the validation part holds exactly frames 320..359 of the angle channel
    assert raw[1][:, 3].min() >= 30 * np.cos(np.arange(320, 360) / 7).min() - 1e-9
    np.testing.assert_allclose(np.sort(raw[1][:, 4]),
                               np.sort(np.concatenate([5 * np.sin(np.arange(320 + ph, 360, 4)[1:] / 5)
                                                       for ph in range(4)])))


def test_preprocessing_bad_arguments():
    v = np.random.default_rng(0).normal(size=(100, 6))
    with pytest.raises(ValueError, match="factor"):
        M.mocap_splits([motion(v)], factor=0)
    with pytest.raises(ValueError, match="n_out"):
        M.mocap_splits([motion(v)], n_out=99)
    with pytest.raises(ValueError, match="fewer than 2 frames"):
        M.mocap_splits([motion(v[:20])], factor=4)
    with pytest.raises(ValueError, match="trials"):
        M.mocap_splits([])


def test_missing_and_wrong_trials(tmp_path):
    with pytest.raises(D.DataMissingError, match="assimp-testmodels.*scripts/fetch_data.sh"):
        M.load_trials(tmp_path)
    for name in M.TRIALS:
        write_bvh(tmp_path / name, np.ones((3, 9)))
    with pytest.raises(ValueError, match="SHA-256"):
        M.load_trials(tmp_path)
    assert M.load_trials(tmp_path, verify=False)[0].values.shape == (3, 9)


@pytest.fixture(scope="module")
def trials():
    return M.load_trials()


def test_installed_trials_are_the_cmu_files(trials):
    for (name, digest), t in zip(M.TRIALS.items(), trials):
        assert D.sha256_bytes((D.data_root() / name).read_bytes()) == digest
        assert t.values.shape[1] == 96 and len(t.joints) == 31
        assert t.rate == pytest.approx(120.0, rel=1e-3)
    assert [t.values.shape[0] for t in trials] == [2752, 4511]


def test_installed_trials_preprocess_into_bounded_held_out_parts(trials):
    r = M.mocap_splits(trials)
    assert r.train.shape[1] == len(r.columns) and r.n_out == 20
    # the held-out parts are on the training part's scale (a wrap left in would be ~100 s.d.)
    assert np.abs(r.val).max() < 20 and np.abs(r.test).max() < 20
    # at 30 frames a second a pose correlates strongly with the next one
    ac = np.mean([np.corrcoef(r.train[:-1, j], r.train[1:, j])[0, 1] for j in range(r.n_out)])
    assert ac > 0.8
