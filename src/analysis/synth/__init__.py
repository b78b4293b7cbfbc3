"""Synthetic data: seeded generators of runnable datasets (demo-mps, large ballot files with
labelled anomalies, dossier records across the 2025 merger), marked `synthetic: true`.
May import: `analysis.inputs` (the contract they write to), `analysis.stats`.
"""
from __future__ import annotations

import re
from pathlib import Path


def rename(folder: Path, name: str) -> None:
    """Give the dataset written in `folder` the name `name` (its `name:` in dataset.yaml, so a
    run publishes it under OUT/<name>/), leaving every other line as the generator wrote it."""
    path = Path(folder) / "dataset.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^name: .*$", f"name: {name}", text, count=1), encoding="utf-8")


# The cover of a synthetic dataset's report names no real authority (issue 12: publisher from
# dataset.yaml).
SYNTHETIC_PUBLISHER = {
    "name_vi": "Nhóm phát triển PAR Reports (dữ liệu giả lập, không phải cơ quan phát hành thật)",
    "name_en": "PAR Reports developers (synthetic data, not a real publisher)",
    "licence_vi": "CC BY 4.0 (dữ liệu giả lập)",
    "licence_en": "CC BY 4.0 (synthetic data)",
}
