"""The audit trail of a run (`manifest.json`): what went in, with which settings, what came out."""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import platform
import subprocess
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

from analysis import METHODOLOGY_VERSION, __version__
from analysis.paths import PACKAGE, ROOT

PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "papermill", "jinja2",
            "weasyprint", "babel", "openpyxl", "duckdb", "pyarrow", "pillow", "zlib-ng")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def report_date() -> date:
    """The date a report carries on its cover: the day of SOURCE_DATE_EPOCH (seconds since 1970,
    the reproducible-builds.org convention) when it is set, else today (UTC). The manifest
    records it, and `verify` sets it for its rerun, so the rerun prints the same date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc).date()
    return datetime.now(timezone.utc).date()


def _git() -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(git("status", "--porcelain").stdout.strip())}


def software() -> dict:
    """The versions of Python, this package and the libraries whose work is published, and
    which one cuts the fonts embedded in the PDF (`font_subsetter`)."""
    return {"par-reports": __version__, "python": platform.python_version(),
            **{name: metadata.version(name) for name in PACKAGES},
            "font_subsetter": font_subsetter()}


def font_subsetter() -> str:
    """"harfbuzz-subset <version>" where WeasyPrint finds HarfBuzz's subsetting library (the
    system's, under the names WeasyPrint tries), else "fonttools", its fallback: the two write
    other bytes for the same fonts, so two PDFs compare only with the same subsetter. Looked up
    with ctypes, as importing WeasyPrint here would cost the run half a second."""
    for harfbuzz, subset in (("libharfbuzz.so.0", "libharfbuzz-subset.so.0"),
                             ("libharfbuzz.0.dylib", "libharfbuzz-subset.0.dylib"),
                             ("libharfbuzz-0.dll", "libharfbuzz-subset-0.dll")):
        try:
            ctypes.CDLL(subset)
            library = ctypes.CDLL(harfbuzz)
        except OSError:
            continue
        library.hb_version_string.restype = ctypes.c_char_p
        version = library.hb_version_string().decode()
        if tuple(int(part) for part in version.split(".")[:2]) >= (4, 1):  # WeasyPrint's minimum
            return f"harfbuzz-subset {version}"
    return f"fonttools {metadata.version('fonttools')}"


def code_digest() -> str:
    """SHA-256 of the package's own files (code, templates, catalog, notebooks; each file's
    path and bytes, in path order): the same digest means the same code, with or without git."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build(ds, parameters: dict, started: str, run_dir: Path) -> dict:
    """The manifest of a finished run in `run_dir` (outputs hashed as they are on disk). The
    dataset folder is recorded relative to the run folder, so no path of the machine is
    published (`verify --data` names it when the run folder has been moved)."""
    outputs = {name: sha256(run_dir / name) for name in published_files(run_dir)}
    folder = os.path.relpath(ds.root.resolve(), run_dir.resolve())
    return {
        "parameters": {**parameters, "data": folder} if "data" in parameters else parameters,
        "dataset": {"name": ds.name, "folder": folder,
                    "inputs": {str(p.relative_to(ds.root)): sha256(p) for p in ds.files},
                    "settings": {k: ds.config.raw.get(k) for k in (
                        "satisfied_answers", "leader_share", "alpha", "bootstrap", "seed",
                        "synthetic")}},
        "methodology_version": METHODOLOGY_VERSION,
        "software": software(),
        "code": code_digest(),
        "git": _git(),
        "started": started,
        "report_date": report_date().isoformat(),
        "finished": now(),
        "outputs": outputs,
    }


def write(manifest: dict, run_dir: Path) -> None:
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")


class BrokenManifest(Exception):
    """manifest.json cannot be read or lacks what a run records."""


def read(run_dir: Path) -> dict:
    """The manifest of `run_dir`, checked for what `verify` relies on; BrokenManifest saying
    what is wrong otherwise."""
    try:
        recorded = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise BrokenManifest(f"not readable JSON ({err})") from None
    if not isinstance(recorded, dict):
        raise BrokenManifest("not a JSON object")
    parameters, dataset = recorded.get("parameters"), recorded.get("dataset")
    outputs = recorded.get("outputs")
    if not isinstance(outputs, dict) or not all(
            isinstance(k, str) and _is_digest(v) for k, v in outputs.items()):
        raise BrokenManifest("'outputs' must map each published file to its SHA-256")
    if not isinstance(dataset, dict) or not isinstance(dataset.get("folder"), str) or \
            not isinstance(dataset.get("inputs"), dict) or \
            not all(isinstance(k, str) and _is_digest(v) for k, v in dataset["inputs"].items()):
        raise BrokenManifest("'dataset' must give the folder and the SHA-256 of each input")
    if not isinstance(parameters, dict) or type(parameters.get("year")) is not int or \
            not isinstance(parameters.get("period"), (str, type(None))):
        raise BrokenManifest("'parameters' must give the year (and period) of the run")
    return recorded


def _is_digest(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def published_files(run_dir: Path) -> list[str]:
    """Every file in a run folder but manifest.json, relative and sorted (links are not
    followed: a link inside a run folder is listed like a file)."""
    found = []
    for folder, subfolders, files in os.walk(run_dir):
        here = Path(folder)
        found += [str((here / name).relative_to(run_dir)) for name in files + [
            d for d in subfolders if (here / d).is_symlink()]]
    return sorted(f for f in found if f != "manifest.json")
