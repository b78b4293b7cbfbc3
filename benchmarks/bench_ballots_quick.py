"""Time `summarise_ballots` on a seeded synthetic ballot file (default: 1 M ballots, 8 questions).

    PYTHONPATH=src python benchmarks/bench_ballots_quick.py [--rows N] [--format parquet|csv]

The file is written by a child process, so the peak RSS printed is that of summarising alone.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

QUESTIONS = 8
UNITS = [f"U{i:02d}" for i in range(1, 64)]


def write_ballots(path: Path, rows: int, seed: int = 20240601) -> None:
    """Seeded ballots over two years with about 2% planted bad rows of each kind."""
    rng = np.random.default_rng(seed)
    year = rng.choice([2023, 2024], rows)
    unit = rng.choice(UNITS + ["U99"], rows, p=[0.98 / len(UNITS)] * len(UNITS) + [0.02])
    ballot = np.char.add("B", np.arange(rows).astype(str))
    repeat = rng.random(rows) < 0.02
    ballot[repeat] = ballot[rng.integers(0, rows, repeat.sum())]
    frame = pd.DataFrame({"year": year, "unit_id": unit, "ballot_id": ballot,
                          "channel": rng.choice(["web", "paper", "kiosk", ""], rows),
                          "submitted_at": ""})
    answers = rng.integers(1, 6, (rows, QUESTIONS)).astype(float)
    answers[rng.random((rows, QUESTIONS)) < 0.1] = np.nan
    answers[rng.random(rows) < 0.02] = np.nan
    answers[rng.random(rows) < 0.02, 0] = 6
    for i in range(QUESTIONS):
        frame[f"q_{i + 1}"] = pd.array(answers[:, i]).astype("Int64")
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_ballots(args.write, args.rows)
        return
    from analysis.ballots import summarise_ballots

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"ballots.{args.format}"
        subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--write", str(path)],
                       check=True)
        units = pd.DataFrame({"unit_id": UNITS, "valid_from": pd.array([None] * len(UNITS), "Int64"),
                              "valid_to": pd.array([None] * len(UNITS), "Int64")})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        summary = summarise_ballots(path, units)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{args.rows:,} ballots ({args.format}, {QUESTIONS} questions): {seconds:.2f} s wall, "
          f"peak RSS {peak / 1024:.0f} MiB (before the call {before / 1024:.0f} MiB); "
          f"{int(summary.units['n_ballots'].sum()):,} counted, {len(summary.rejected):,} rejected")


if __name__ == "__main__":
    main()
