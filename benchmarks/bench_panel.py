"""Benchmark (not a test): the new work of issue 14 against its budgets (issue 17, item 3).

- the sensitivity Monte Carlo of the index, 10,000 draws × 63 units (PAPI 2016), with its Sobol
  design (N (k + 2) model runs): budget 2 s;
- all 61 PAPI 2024 province profiles in both languages (the step a `--profiles` run adds: the
  history tables, then each edition's book and one PDF per province): budget 30 s;
- the 2011–2024 series report, `par-report run --years 2011-2024`, both editions, HTML + PDF, as
  a whole process: budget 20 s.

Each figure is the median of `--repeat` runs (wall time), with the CPU time beside it and the
machine's load average, since the machine is shared. Run:
`.venv/bin/python benchmarks/bench_panel.py [--repeat 3]`.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import pipeline
from analysis.indices import composite
from analysis.indices.panel import profile_tables
from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.publication.unit_profiles import Profiles

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "papi-provinces"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds (this process and its children) of `fn()`."""
    walls, cpus = [], []
    for _ in range(repeat):
        cpu0, child0, start = time.process_time(), children_cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu0 + children_cpu() - child0)
    return statistics.median(walls), statistics.median(cpus)


def report(label: str, figures: tuple[float, float], budget: float) -> None:
    wall, cpu = figures
    verdict = "within" if wall <= budget else "OVER"
    print(f"{label:<58} {wall:6.2f} s wall {cpu:6.2f} s CPU   budget {budget:4.0f} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start; "
          f"median of {repeat}")
    ds = load_dataset(DATA)
    draws = ds.config.sensitivity["draws"]
    composite.sensitivity(ds, 2016)   # warm-up
    report(f"sensitivity: {draws:,} draws × 63 units, with Sobol indices",
           measure(lambda: composite.sensitivity(ds, 2016), repeat), 2)
    results = compute_results(ds, 2024)
    with tempfile.TemporaryDirectory() as tmp:
        def profiles():
            book = Profiles(ds, 2024, results, profile_tables(ds, 2024))
            pipeline.in_processes(book.publish, [(lang, Path(tmp) / lang) for lang in pipeline.LANGS])
        report(f"profiles: {len(results['index_units'].dropna(subset=['score']))} units × 2 languages "
               "(book + one PDF each)", measure(profiles, repeat), 30)
        command = [str(Path(sys.executable).with_name("par-report")), "run", "--data", str(DATA),
                   "--years", "2011-2024", "--format", "html,pdf", "--out", tmp, "--quiet"]
        report("series 2011–2024: par-report run, both editions, whole process",
               measure(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL),
                       repeat), 20)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
