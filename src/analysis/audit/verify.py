"""`par-report verify RUN_DIR`: rerun a published run from its manifest and compare its tables.

Refuses when an input no longer matches the SHA-256 recorded in the manifest (naming it);
otherwise reruns the tables (no publication) into a temporary folder and compares every
result table byte for byte, listing the tables and first rows that differ.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from analysis.audit import manifest


def _first_difference(a: Path, b: Path) -> str:
    old, new = a.read_text(encoding="utf-8").splitlines(), b.read_text(encoding="utf-8").splitlines()
    for number, (x, y) in enumerate(zip(old, new), start=1):
        if x != y:
            return f"line {number}: published '{x}' / rerun '{y}'"
    return f"{len(old)} lines published, {len(new)} rerun"


def verify(run_dir: Path, run: Callable[..., Path]) -> tuple[bool, str]:
    """Check a run folder; `run` is the pipeline's run (passed in: audit sits below the pipeline)."""
    run_dir = Path(run_dir)
    if not (run_dir / "manifest.json").is_file():
        return False, f"{run_dir}: no manifest.json (not a run folder)"
    recorded = manifest.read(run_dir)
    data = Path(recorded["dataset"]["folder"])
    changed = []
    for name, digest in sorted(recorded["dataset"]["inputs"].items()):
        path = data / name
        if not path.is_file():
            changed.append(f"- {path}: missing")
        elif manifest.sha256(path) != digest:
            changed.append(f"- {path}: changed since the run (SHA-256 differs)")
    if changed:
        return False, "refused: the inputs are not those of the run\n" + "\n".join(changed)
    tables = sorted(n for n in recorded["outputs"] if n.startswith("tables/"))
    with tempfile.TemporaryDirectory() as tmp:
        parameters = recorded["parameters"]
        span = {"years": tuple(parameters["years"])} if "years" in parameters else {
            "period": parameters.get("period")}
        rerun = run(data, parameters.get("year"), formats=(), out_root=Path(tmp),
                    progress=False, **span)
        produced = sorted(f"tables/{p.name}" for p in (rerun / "tables").glob("*.csv"))
        differences = [f"- {n}: not produced by the rerun" for n in tables if n not in produced]
        differences += [f"- {n}: produced by the rerun only" for n in produced if n not in tables]
        for name in tables:
            if name in produced and manifest.sha256(rerun / name) != recorded["outputs"][name]:
                differences.append(f"- {name}: {_first_difference(run_dir / name, rerun / name)}")
    if differences:
        return False, "differences:\n" + "\n".join(differences)
    return True, f"reproduced: {len(tables)} tables identical ({run_dir})"
