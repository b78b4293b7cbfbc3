"""Time the Decision 766 service index on a synthetic year of dossiers (default 50 M).

    PYTHONPATH=src python benchmarks/bench_dossiers.py [--rows N] [--keep DIR]

A child process writes a year (2025, merger included) with `make_demo_dossiers`; then one
child per run computes the index of one month (December, with November; July, with June
recomputed on the new provinces) and of the year (with 2024, which has no records here), so
each peak RSS printed is that run's alone.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MONTHS = tuple(f"2025-{m:02d}" for m in range(1, 13))


def measure(step: str, folder: str, arg: str) -> dict:
    """Run one step in this process and return its wall time and peak RSS."""
    start = time.perf_counter()
    if step == "generate":
        from analysis.synth.dossiers import make_demo_dossiers
        make_demo_dossiers(folder, dossiers_per_year=int(arg), months=MONTHS)
        detail = ""
    else:
        from analysis.inputs.dataset import load_dataset
        from analysis.indices.results import service_tables
        tables, rejected = service_tables(load_dataset(folder), arg)
        table = tables["service_index"]
        detail = (f"{int(table['n_received'].sum()):,} dossiers counted, "
                  f"{len(rejected):,} rejected, {len(table)} units")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": time.perf_counter() - start, "peak_mib": peak, "detail": detail}


def child(step: str, folder: Path, arg: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--step", step, str(folder), arg],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--keep", type=Path, help="write the data here and keep it")
    parser.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(measure(*args.step)))
        return
    with tempfile.TemporaryDirectory() as temp:
        folder = args.keep or Path(temp) / "demo-dossiers"
        size = None
        for label, step, arg in (("generate", "generate", str(args.rows)),
                                 ("month 2025-12", "index", "2025-12"),
                                 ("month 2025-07 (across the merger)", "index", "2025-07"),
                                 ("year 2025", "index", "2025")):
            result = child(step, folder, arg)
            if step == "generate":
                size = sum(f.stat().st_size for f in (folder / "dossiers").glob("*.parquet"))
                result["detail"] = f"{size / 2**20:,.0f} MiB of Parquet"
            print(f"{args.rows:,} dossiers/year, {label}: {result['seconds']:.1f} s wall, "
                  f"peak RSS {result['peak_mib']:,.0f} MiB; {result['detail']}", flush=True)


if __name__ == "__main__":
    main()
