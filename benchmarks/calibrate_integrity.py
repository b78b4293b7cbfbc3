"""Thresholds of the integrity screen, calibrated out of sample on clean synthetic units.

    .venv/bin/python benchmarks/calibrate_integrity.py [--seeds 101 102 103 104 105]

For each seed a synthetic dataset (`make_ballot_dataset`: 300,000 ballots, 500 units, two years)
is screened; the units without a planted anomaly are the clean units. Printed per calibrated
check: the clean units' statistic at the 95th, 99th and 99.5th percentiles (pooled over the
seeds), and the share of clean units the current threshold flags. The thresholds in
`analysis.indices.integrity.THRESHOLDS` are the pooled 99th percentiles of seeds 101–105
(rounded up to one decimal), seeds no test uses.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.indices.integrity import THRESHOLDS, screen_ballots
from analysis.inputs.dataset import load_dataset
from analysis.synth.ballots import make_ballot_dataset


def clean_statistics(seed: int, rows: int, units: int) -> pd.DataFrame:
    """(seed, unit_id, check, statistic, flagged) of the clean units of one seed."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "calibration"
        planted = make_ballot_dataset(root, rows, n_units=units, seed=seed, chunk_rows=500_000)
        ds = load_dataset(root)
        table = screen_ballots(ds.ballots_path, ds.units, int(ds.config.default_year))
    table = table[table["check"].isin(THRESHOLDS) & ~table["unit_id"].isin(planted["unit_id"])]
    return table.assign(seed=seed)[["seed", "unit_id", "check", "statistic", "flagged"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--units", type=int, default=500)
    args = parser.parse_args()
    found = pd.concat([clean_statistics(s, args.rows, args.units) for s in args.seeds])
    print(f"seeds {args.seeds}, {args.rows:,} ballots and {args.units} units each")
    print("| check | clean units | p95 | p99 | p99.5 | threshold | flagged |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for check, part in found.groupby("check"):
        values = part["statistic"].to_numpy(float)
        q = np.nanquantile(values, [0.95, 0.99, 0.995])
        print(f"| {check} | {len(part)} | {q[0]:.2f} | {q[1]:.2f} | {q[2]:.2f} | "
              f"{THRESHOLDS[check]:.1f} | {100 * part['flagged'].mean():.2f}% |")


if __name__ == "__main__":
    main()
