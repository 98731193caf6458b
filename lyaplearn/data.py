"""The real data sets of chapter 7, with the splits of Vogt et al. (appendix A).

Two data sets stand in for the paper's *War and Peace* and CMU motion capture.
Both come from Debian packages (no registry ships either of the paper's) and are
installed by ``scripts/fetch_data.sh`` (called by ``scripts/setup_env.sh``),
never fetched at run time:

``austen``
    Jane Austen's six novels (public domain), from ``r-cran-janeaustenr``: about
    3.9 million characters of English prose, joined in a fixed order.
    :func:`text_splits` cuts it 80/10/10 into train/validation/test, as the
    paper does with *War and Peace* (appendix A.1).
``chicago``
    Daily entries at 20 stations of Chicago's 'L' (from the fare-card
    turnstiles) and 18 daily weather measurements at O'Hare, 2001-2016, from
    ``r-cran-modeldata``'s ``Chicago`` table (the station columns there are
    lagged by 14 days; :func:`build` undoes the lag, and checks it against the
    table's own unlagged ``ridership`` column). :func:`regression_splits`
    applies appendix A.2's normalisation and cuts the days in time order.

The converted files live in ``$LYAPLEARN_DATA`` or else ``.cache/lyaplearn-data``
at the repository root; :func:`check` compares their SHA-256 with the values
recorded here. Run ``python -m lyaplearn.data check`` to see what is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "DataMissingError",
    "NOVELS",
    "STATIONS",
    "WEATHER",
    "data_root",
    "load_text",
    "load_chicago",
    "TextSplits",
    "RegressionSplits",
    "text_splits",
    "regression_splits",
    "encode",
    "decode",
    "check",
    "build",
    "sha256_text",
    "sha256_array",
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
CHICAGO_FILE = "chicago.npz"
# SHA-256 of the converted data from Debian bookworm's r-cran-janeaustenr 1.0.0-1
# and r-cran-modeldata 1.1.0-1 (text: its UTF-8 bytes; Chicago: the float64 values).
CHECKSUMS = {
    TEXT_FILE: "7f77b3747b535329741d65eafa6742c714087743969518a1a5e15a7afe058272",
    CHICAGO_FILE: "3fd8414c82ff3d31a1eead8891cc4ae347cf739fbfd3e5b47f8247b4004d7d67",
}
INSTALL_HINT = ("install it with `bash scripts/fetch_data.sh` (part of `make test`/`make book`; "
                "it runs `apt-get download {pkg}` and converts the R data with the `rdata` "
                "package)")


class DataMissingError(FileNotFoundError):
    """A data set of chapter 7 is not installed."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder of the converted data: ``root``, else ``$LYAPLEARN_DATA``, else ``.cache/lyaplearn-data``."""
    if root is not None:
        return Path(root)
    env = os.environ.get("LYAPLEARN_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / ".cache" / "lyaplearn-data"


def sha256_text(text: str) -> str:
    """SHA-256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_array(a: np.ndarray) -> str:
    """SHA-256 of an array's float64 little-endian C-order bytes."""
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f8").tobytes()).hexdigest()


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

    The vocabulary is every character of the whole text, sorted.
    """
    if text is None:
        text = load_text(root)
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


def check(root=None) -> dict:
    """Load both data sets (verifying checksums); return their sizes."""
    text = load_text(root)
    values, _, _ = load_chicago(root)
    return {"characters": len(text), "chicago_days": values.shape[0],
            "chicago_features": values.shape[1]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lyaplearn.data",
                                 description="Build or check chapter 7's data.")
    ap.add_argument("command", choices=("build", "check"))
    ap.add_argument("--src", help="unpacked R site-library holding janeaustenr and modeldata")
    ap.add_argument("--root", help="data folder (default: $LYAPLEARN_DATA or .cache/lyaplearn-data)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    try:
        if a.command == "build":
            if not a.src:
                ap.error("build needs --src")
            info = build(a.src, a.root)
        else:
            info = check(a.root)
    except (DataMissingError, ValueError) as e:
        if not a.quiet:
            print(f"lyaplearn.data: {e}", file=sys.stderr)
        return 1
    if not a.quiet:
        for k, v in info.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
