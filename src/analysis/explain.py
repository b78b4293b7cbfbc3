"""`par-report explain`: working papers a reviewer can read — the explain notebook
(notebooks/explain.ipynb) executed for some units into the run folder's `explain/`.

It shows each unit's input rows (file and row numbers) and every step of every figure,
recomputed in plain pandas/scipy beside the run's published tables. The notebook is kept as
.ipynb (rerunnable in place: its paths are relative to its folder) and as .html (code shown).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

from analysis.inputs.errors import InputError, Problem
from analysis.paths import EXPLAIN_NOTEBOOK
from analysis.publication.parameters import relative
from analysis.publication.publish import LocalKernelManager, NotebookError


def execute(data_dir: Path, year: int, units: str, tables: Path, out: Path) -> Path:
    """Execute the explain notebook for `units` (comma-separated ids; "" = the leader, the
    laggard and every flagged unit) against the run's `tables`; write `out` (.ipynb) and its
    .html beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    here = out.parent.resolve()
    try:
        papermill.execute_notebook(
            str(EXPLAIN_NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
            request_save_on_cell_execute=False, kernel_manager_class=LocalKernelManager,
            resources={"metadata": {"path": str(here)}},   # the kernel's folder (no process chdir)
            parameters={"data_dir": relative(Path(data_dir).resolve(), here), "year": int(year),
                        "unit": units, "tables_dir": relative(Path(tables).resolve(), here)})
    except papermill.PapermillExecutionError as err:
        raise NotebookError(f"the explain notebook failed at cell {err.exec_count}: {err.ename}: "
                            f"{err.evalue}\nthe failed notebook is kept at {out}") from None
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(out, as_version=4))
    out.with_suffix(".html").write_text(body, encoding="utf-8")
    return out


def explain(data_dir: Path, year: int, unit: str, out_root: Path, run) -> Path:
    """Explain `unit` of `year` in the run folder OUT/<dataset>/<year>/explain/<unit>.ipynb; when
    that run does not exist, `run` (the pipeline's) computes its tables and manifest first."""
    from analysis.inputs.dataset import load_dataset
    ds = load_dataset(data_dir)
    if unit not in set(ds.units["unit_id"]):
        known = ", ".join(ds.units["unit_id"].head(5))
        raise InputError([Problem(ds.file_name("units"), None, "unit_id", f"no unit '{unit}'",
                                  f"give --unit a unit_id of units.csv (e.g. {known})")])
    folder = Path(out_root).resolve() / ds.name / str(year)
    if not (folder / "tables" / "rejected.csv").is_file():
        folder = run(data_dir, year, formats=(), out_root=out_root, progress=False)
    return execute(data_dir, year, unit, folder / "tables", folder / "explain" / f"{unit}.ipynb")
