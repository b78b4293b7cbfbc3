"""`par-report verify RUN_DIR`: check a published run against its manifest, then rerun it.

1. The run folder: every published file (tables, HTML, PDF, XLSX, figures, notebooks) must
   have the SHA-256 the manifest records; each changed, missing or extra file is named.
2. The inputs: refused when one no longer matches its recorded SHA-256 (naming it).
3. The computation: the tables are rerun (no publication) into a temporary folder and compared
   byte for byte, listing the tables and first rows that differ.
A manifest that cannot be read, or lacks what a run records, is refused as broken.
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


def check_files(run_dir: Path, outputs: dict[str, str]) -> list[str]:
    """One line per published file that is not as the manifest records it."""
    on_disk = set(manifest.published_files(run_dir))
    found = []
    for name in sorted(on_disk | set(outputs)):
        path = run_dir / name
        if name not in outputs:
            found.append(f"- {name}: extra (not in the manifest)")
        elif name not in on_disk:
            found.append(f"- {name}: missing")
        elif path.is_symlink() or not path.is_file() or manifest.sha256(path) != outputs[name]:
            found.append(f"- {name}: changed since the run (SHA-256 differs)")
    return found


def verify(run_dir: Path, run: Callable[..., Path]) -> tuple[bool, str]:
    """Check a run folder; `run` is the pipeline's run (passed in: audit sits below the pipeline)."""
    run_dir = Path(run_dir).resolve()   # the run the published link names now, held throughout
    if not (run_dir / "manifest.json").is_file():
        return False, f"{run_dir}: no manifest.json (not a run folder)"
    try:
        recorded = manifest.read(run_dir)
    except manifest.BrokenManifest as err:
        return False, (f"refused: {run_dir / 'manifest.json'} is broken: {err} — it cannot vouch "
                       "for the run; publish it again with par-report run")
    tampered = check_files(run_dir, recorded["outputs"])
    if tampered:
        return False, ("refused: the published files are not those of the run "
                       f"({run_dir})\n" + "\n".join(tampered))
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
    return True, (f"reproduced: {len(recorded['outputs'])} published files as recorded, "
                  f"{len(tables)} tables identical on rerun ({run_dir})")
