"""`par-report validate`: check every file of a dataset folder and summarise what it holds."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.inputs.dataset import load_dataset
from analysis.publication.i18n import dataset_wording


def validate(data_dir: Path) -> str:
    """A readable summary of a valid dataset; raises InputError listing every problem otherwise."""
    ds = load_dataset(data_dir)
    dataset_wording(ds)   # the report's texts the dataset words its own way
    lines = [f"{ds.root}: valid ({ds.name})",
             f"- {len(ds.units)} units; years with data: {', '.join(map(str, ds.years())) or 'none'}"]
    for table in ("index_scores", "satisfaction", "published", "crosswalk"):
        frame = getattr(ds, table)
        if frame is not None:
            lines.append(f"- {ds.file_name(table)}: {len(frame)} rows")
    if ds.index_scores is not None:
        gaps = int(ds.index_scores["points"].isna().sum())
        if gaps:
            lines.append(f"- {gaps} blank points in {ds.file_name('index_scores')} (reported as gaps)")
    presence = {year: ds.present(year) for year in ds.years()}
    if ds.ballots_path is not None:
        from analysis.indices.ballots import summarise_ballots
        summary = summarise_ballots(ds.ballots_path, ds.units, ds.config.satisfied_answers)
        for year, part in summary.units.groupby("year"):
            presence.setdefault(int(year), {})[ds.ballots_path.name] = set(part["unit_id"])
        counted = int(summary.units["n_ballots"].sum())
        lines.append(f"- {ds.ballots_path.name}: {counted} ballots count, {len(summary.rejected)} left out")
        for reason, n in summary.rejected["reason"].value_counts().sort_index().items():
            lines.append(f"    {reason}: {n}")
    if ds.dossiers_path is not None:
        from analysis.indices.service_quality import read_dossiers
        read = read_dossiers(ds.dossiers_path, ds.units)
        months = sorted(read.counts["period"].unique())
        span = f", {months[0]} to {months[-1]}" if months else ""
        lines.append(f"- {ds.dossiers_path.name}: {int(read.counts['n_received'].sum())} dossiers "
                     f"count{span}, {len(read.rejected)} left out")
        for reason, n in read.rejected["reason"].value_counts().sort_index().items():
            lines.append(f"    {reason}: {n}")
    missing = pd.concat([ds.without_data(year, present) for year, present in presence.items()]
                        + [pd.DataFrame(columns=["year", "file", "unit_id"])], ignore_index=True)
    for (year, file), part in missing.groupby(["year", "file"], sort=True):
        lines.append(f"- warning: {len(part)} unit{'s' if len(part) > 1 else ''} valid in {year} "
                     f"without a row in {file}: {', '.join(part['unit_id'][:10])}"
                     f"{', …' if len(part) > 10 else ''} (they are left out "
                     f"of {year}'s figures; add their rows, or end their validity in units.csv)")
    return "\n".join(lines)
