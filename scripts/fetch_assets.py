"""Put the website's JavaScript dependencies into the build, so it works offline.

The book is read in classrooms without internet, and CI has none either, so
nothing on the site may come from a CDN. This script fetches three packages
from the npm registry with ``npm pack`` (a plain tarball download; nothing is
installed or executed) and copies the files the site needs into
``book/_static/vendor/`` (git-ignored), from where Sphinx copies them into
``_build/html/_static/vendor/``:

* MathJax 3 (``vendor/mathjax/tex-chtml.js`` and the fonts and extensions it
  loads on demand), referenced by ``mathjax_path`` in ``_config.yml``;
* ``@jupyter-widgets/html-manager`` (``vendor/embed-amd.js``), which renders the
  saved state of ipywidgets on a static page;
* RequireJS (``vendor/require.js``), which ``embed-amd.js`` needs;
* the widgets' icon fonts, under ``book/_extra`` (see ``WIDGET_FONTS``).

Tarballs are cached in ``.cache/npm`` so repeated builds do not download again.
Versions are pinned: MathJax 3 is the major version Sphinx's ``mathjax3_config``
targets and html-manager 1.x is the one that matches ipywidgets 8.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "npm"
VENDOR = ROOT / "book" / "_static" / "vendor"
# embed-amd.js injects widget CSS whose icon fonts are fetched relative to the
# page (``<page dir>/@jupyter-widgets/html-manager/dist/...``); all chapter
# pages live in book/, and html_extra_path copies this tree to the site root.
EXTRA = ROOT / "book" / "_extra"
WIDGET_FONTS = EXTRA / "book" / "@jupyter-widgets" / "html-manager" / "dist"

PACKAGES = {
    "mathjax": "3.2.2",
    "@jupyter-widgets/html-manager": "1.0.15",
    "requirejs": "2.3.8",
}


def tarball_name(name: str, version: str) -> str:
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch(name: str, version: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / tarball_name(name, version)
    if not path.exists():
        if shutil.which("npm") is None:
            sys.exit("fetch_assets: npm is needed to download the site's JavaScript "
                     "(apt-get install npm), or copy the files into book/_static/vendor")
        subprocess.run(["npm", "pack", f"{name}@{version}", "--silent",
                        "--pack-destination", str(CACHE)], check=True,
                       stdout=subprocess.DEVNULL)
    if not path.exists():
        sys.exit(f"fetch_assets: npm pack did not produce {path}")
    return path


def extract(tgz: Path, prefix: str, dest: Path) -> int:
    """Copy members under ``package/<prefix>`` of a tarball into ``dest``."""
    n = 0
    with tarfile.open(tgz) as tar:
        for m in tar.getmembers():
            if not m.isfile() or not m.name.startswith(f"package/{prefix}"):
                continue
            rel = m.name[len(f"package/{prefix}"):].lstrip("/") or Path(m.name).name
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(m) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
            n += 1
    return n


def main() -> None:
    stamp = VENDOR / ".versions"
    wanted = "\n".join(f"{k}@{v}" for k, v in PACKAGES.items())
    if stamp.exists() and stamp.read_text() == wanted and WIDGET_FONTS.is_dir():
        print(f"fetch_assets: {VENDOR.relative_to(ROOT)} is up to date")
        return
    for d in (VENDOR, EXTRA):
        if d.exists():
            shutil.rmtree(d)
    VENDOR.mkdir(parents=True)
    WIDGET_FONTS.mkdir(parents=True)
    mj = fetch("mathjax", PACKAGES["mathjax"])
    hm = fetch("@jupyter-widgets/html-manager", PACKAGES["@jupyter-widgets/html-manager"])
    rq = fetch("requirejs", PACKAGES["requirejs"])
    n = extract(mj, "es5", VENDOR / "mathjax")
    n += extract(hm, "dist", VENDOR)
    n += extract(rq, "require.js", VENDOR)
    for f in VENDOR.iterdir():
        if f.suffix in (".woff", ".woff2", ".ttf", ".eot", ".svg"):
            shutil.copy2(f, WIDGET_FONTS / f.name)
    for needed in ("mathjax/tex-chtml.js", "embed-amd.js", "require.js"):
        if not (VENDOR / needed).is_file():
            sys.exit(f"fetch_assets: {needed} missing after extraction")
    stamp.write_text(wanted)
    print(f"fetch_assets: {n} files in {VENDOR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
