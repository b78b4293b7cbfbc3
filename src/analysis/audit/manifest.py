"""The audit trail of a run (`manifest.json`): what went in, with which settings, what came out."""
from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from analysis import METHODOLOGY_VERSION, __version__
from analysis.paths import ROOT

PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "papermill", "nbconvert",
            "weasyprint", "babel", "openpyxl", "duckdb", "pyarrow")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _git() -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(git("status", "--porcelain").stdout.strip())}


def build(ds, parameters: dict, started: str, run_dir: Path) -> dict:
    """The manifest of a finished run in `run_dir` (outputs hashed as they are on disk)."""
    outputs = {str(p.relative_to(run_dir)): sha256(p) for p in sorted(run_dir.rglob("*"))
               if p.is_file() and p.name != "manifest.json"}
    return {
        "parameters": parameters,
        "dataset": {"name": ds.name, "folder": str(ds.root.resolve()),
                    "inputs": {str(p.relative_to(ds.root)): sha256(p) for p in ds.files},
                    "settings": {k: ds.config.raw.get(k) for k in (
                        "satisfied_answers", "leader_share", "alpha", "bootstrap", "seed",
                        "synthetic")}},
        "methodology_version": METHODOLOGY_VERSION,
        "software": {"par-reports": __version__, "python": platform.python_version(),
                     **{name: metadata.version(name) for name in PACKAGES}},
        "git": _git(),
        "started": started,
        "finished": now(),
        "outputs": outputs,
    }


def write(manifest: dict, run_dir: Path) -> None:
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")


def read(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
