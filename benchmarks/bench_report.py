"""Benchmark (not a test): wall time of a rerun of the default report — both editions, HTML, PDF
and XLSX — and of its phases. Run: `make bench` or `.venv/bin/python benchmarks/bench_report.py`."""
import tempfile
import time
from pathlib import Path

from analysis import pipeline
from analysis.publication import publish
from analysis.inputs.dataset import load_dataset
from analysis.indices.results import compute_results

ROOT = Path(__file__).resolve().parents[1]
DATA, YEAR = ROOT / "data" / "papi-provinces", 2016


def timed(label, fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    print(f"{label:<42} {time.perf_counter() - start:6.2f} s")
    return value


def main():
    with tempfile.TemporaryDirectory() as tmp:
        ds = timed("load + validate dataset", load_dataset, DATA)
        results = timed("compute tables (once per run)", compute_results, ds, YEAR)
        from analysis.indices.tables import write_tables
        tables = Path(tmp) / "tables"
        write_tables(results, tables)
        timed("execute notebook, one edition (vi)", publish.execute_notebook, DATA, YEAR, "vi", tables, Path(tmp) / "vi")
        timed("HTML + PDF + XLSX, one edition (vi)", publish.render_edition, ds, YEAR, "vi", results, Path(tmp), ("html", "pdf", "xlsx"))
        timed("full run, both editions (first)", pipeline.run, DATA, YEAR, out_root=Path(tmp) / "a", progress=False)
        timed("full run, both editions (rerun)", pipeline.run, DATA, YEAR, out_root=Path(tmp) / "a", progress=False)


if __name__ == "__main__":
    main()
