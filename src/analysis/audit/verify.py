"""`par-report verify RUN_DIR`: check a published run against its manifest, then rerun it.

1. The run folder: every published file (tables, HTML, PDF, XLSX, figures, notebooks) must
   have the SHA-256 the manifest records; each changed, missing or extra file is named.
2. The inputs: refused when one no longer matches its recorded SHA-256 (naming it).
3. The computation: the run is redone as recorded (the same editions and formats) into a
   temporary folder and every published file compared byte for byte, listing the tables and
   first rows that differ and every other file that differs. Only what records when and where
   a run happened is set aside: the manifest itself, and papermill's timings and the
   parameters cell (the data folder's path relative to the run) of a notebook.
   So a file edited together with its manifest entry is still found. `tables_only` (verify
   --tables-only) reruns the tables alone, in a few seconds.
A manifest that cannot be read, or lacks what a run records, is refused as broken.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from analysis.audit import manifest


def _first_difference(a: Path, b: Path) -> str:
    old, new = a.read_text(encoding="utf-8").splitlines(), b.read_text(encoding="utf-8").splitlines()
    for number, (x, y) in enumerate(zip(old, new), start=1):
        if x != y:
            return f"line {number}: published '{x}' / rerun '{y}'"
    return f"{len(old)} lines published, {len(new)} rerun"


def _notebook_cells(path: Path) -> list:
    """A notebook's cells as a reader sees them: sources and outputs, without the parameters
    cells (they name the data folder relative to the run) or papermill's timings."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c["cell_type"], c.get("source"), c.get("outputs")) for c in cells
            if not {"parameters", "injected-parameters"} & set(c.get("metadata", {}).get("tags", []))]


def same_file(published: Path, rerun: Path) -> bool:
    """Whether a published file is what the rerun made (see the module's docstring)."""
    if published.suffix == ".ipynb":
        return _notebook_cells(published) == _notebook_cells(rerun)
    return published.read_bytes() == rerun.read_bytes()


def _rerun_dated(recorded: dict, rerun: Callable[[], Path]) -> Path:
    """`rerun()` with SOURCE_DATE_EPOCH set to the day the run printed on its cover (the
    manifest's report_date, else the day it started), so that a rerun on a later day prints
    the same date; the variable is restored afterwards."""
    day = recorded.get("report_date") or str(recorded.get("started", ""))[:10]
    before = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        moment = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    except ValueError:
        pass   # an older manifest without a date: the rerun prints today's
    try:
        return rerun()
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


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


def verify(run_dir: Path, run: Callable[..., Path], tables_only: bool = False,
           data_dir: Path | None = None) -> tuple[bool, str]:
    """Check a run folder; `run` is the pipeline's run (passed in: audit sits below the pipeline).
    The inputs are read from the dataset folder the manifest records (relative to the run
    folder), or from `data_dir` (verify --data) for a run folder copied elsewhere."""
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
    data = Path(data_dir) if data_dir is not None else run_dir / recorded["dataset"]["folder"]
    if not data.is_dir():
        return False, (f"refused: the dataset folder {recorded['dataset']['folder']} that the "
                       f"manifest records (relative to {run_dir}) is not there: name it with "
                       "par-report verify --data DIR")
    data = data.resolve()
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
        if not tables_only:
            span |= {"langs": tuple(parameters.get("lang", ())),
                     "formats": tuple(parameters.get("format", ()))}
            if "year" in parameters:
                span |= {"archival": bool(parameters.get("pdfa")),
                         "profiles": bool(parameters.get("profiles")),
                         "explain": bool(parameters.get("explain"))}
        else:
            span["formats"] = ()
        rerun = _rerun_dated(recorded, lambda: run(data, parameters.get("year"), out_root=Path(tmp),
                                                   progress=False, **span))
        produced = sorted(f"tables/{p.name}" for p in (rerun / "tables").glob("*.csv"))
        differences = [f"- {n}: not produced by the rerun" for n in tables if n not in produced]
        differences += [f"- {n}: produced by the rerun only" for n in produced if n not in tables]
        for name in tables:
            if name in produced and manifest.sha256(rerun / name) != recorded["outputs"][name]:
                differences.append(f"- {name}: {_first_difference(run_dir / name, rerun / name)}")
        others = [n for n in recorded["outputs"] if not n.startswith("tables/")]
        if not tables_only:
            for name in sorted(others):
                if not (rerun / name).is_file():
                    differences.append(f"- {name}: not produced by the rerun")
                elif not same_file(run_dir / name, rerun / name):
                    differences.append(f"- {name}: differs from the rerun's")
    if differences:
        return False, "differences:\n" + "\n".join(differences)
    redone = "" if tables_only else f", the {len(others)} other files as the rerun made them"
    return True, (f"reproduced: {len(recorded['outputs'])} published files as recorded, "
                  f"{len(tables)} tables identical on rerun{redone} ({run_dir})")
