"""Seeded generator of large synthetic ballot datasets with labelled anomalies.

`make_ballot_dataset` writes a dataset folder that `par-report run` accepts: `dataset.yaml`
(`synthetic: true`), `units.csv`, `groups.csv`, `planted.csv` and `ballots/part-NNNNN.parquet`
(written a chunk at a time, so tens of millions of ballots never sit in memory at once; each part
in row groups of ROW_GROUP ballots, the unit a reader such as DuckDB spreads over its threads: a
file of a single row group is read by one). It feeds the ballot benchmark and the integrity tests.

The model. Unit u has a satisfaction logit a_u ~ N(logit 0.90, 0.5) and a size drawn log-normal
(σ = 1), so volumes span two orders of magnitude. Ballot b has a propensity z_b ~ N(0, 1); its
answer to question q is satisfied with probability σ(a_u + 0.7 z_b + e_q), then 5 rather than 4
with probability σ(0.3 + 1.2 z_b); otherwise 3, 2 or 1 (0.6 / 0.25 / 0.15). Each answer is blank
with probability 3%. Channels: paper 30%, VNeID 50%, QR 12%, kiosk 8%; digital ballots carry a
time (office hours at the office, 06:00–22:00 in the app) within a 31-day window, paper a date.
About 0.4% of ballots are invalid (an answer outside the scale, no answer, an unknown unit).

Planted anomalies, in the last year, on `anomaly_share` of the units with at least 300 ballots
that year, the kinds taken in turn (one unit, one kind):
- copied_forms: max(30, 5% of n) ballots replaced by one paper form with mixed answers;
- straight_lining: 70% of the ballots give their first answer to every question;
- burst: max(60, 20 × the unit's average per 10 minutes) app ballots within 10 minutes;
- duplicates: 10–30 ballots entered a second time with the same ballot_id;
- perfect_results: every answer satisfied (4 or 5).
`planted.csv` lists them (year, unit_id, case, n_ballots, description).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

KINDS = ("copied_forms", "straight_lining", "burst", "duplicates", "perfect_results")
QUESTION_EFFECTS = (0.3, 0.0, 0.3, 0.2, -0.4, 0.1, -0.2, 0.0, 0.15, -0.1, 0.05, 0.25)
CHANNELS = {"paper": 0.30, "vneid": 0.50, "qr": 0.12, "kiosk": 0.08}
WINDOW_DAYS = 31
BLANK_RATE = 0.03
INVALID_RATE = {"out_of_scale": 0.002, "no_answer": 0.001, "unknown_unit": 0.001}
ROW_GROUP = 1 << 17       # ballots per Parquet row group
MIN_PLANTED = 300         # ballots a unit needs that year to carry a planted anomaly
PLANTED_COLUMNS = ["year", "unit_id", "case", "n_ballots", "description"]


def make_ballot_dataset(out_dir, n_ballots: int, *, n_units: int = 500, questions: int = 8,
                        years=(2024, 2025), anomaly_share: float = 0.1, seed: int = 20251001,
                        chunk_rows: int = 2_000_000, integer_ids: bool = False) -> pd.DataFrame:
    """Write the dataset (see module doc) into `out_dir` and return the planted anomalies.
    Ballot ids are text, "2024-000000017", or with `integer_ids` the integers 2024000000017
    (the same ballots otherwise: a file whose ids are numbers, read as integers)."""
    if not 1 <= questions <= len(QUESTION_EFFECTS):
        raise ValueError(f"questions must be 1–{len(QUESTION_EFFECTS)}")
    out_dir = Path(out_dir)
    (out_dir / "ballots").mkdir(parents=True, exist_ok=True)
    for old in (out_dir / "ballots").glob("part-*.parquet"):
        old.unlink()
    rng = np.random.default_rng(seed)
    units = [f"U{i:04d}" for i in range(1, n_units + 1)]
    logit = rng.normal(np.log(0.9 / 0.1), 0.5, n_units)
    weight = rng.lognormal(0.0, 1.0, n_units)
    per_year = np.diff(np.round(np.linspace(0, n_ballots, len(years) + 1))).astype(np.int64)
    sizes = {y: rng.multinomial(k, weight / weight.sum()) for y, k in zip(years, per_year)}
    planted = _choose_planted(rng, units, sizes[years[-1]], anomaly_share)
    writer = _ChunkWriter(out_dir / "ballots", chunk_rows)
    for year in years:
        number = 0
        for i, unit in enumerate(units):
            n = int(sizes[year][i])
            if n == 0:
                continue
            kind = planted.get(unit) if year == years[-1] else None
            block = _unit_ballots(rng, year, unit, n, logit[i], questions, kind)
            block["ballot_id"] = (year * 10 ** 9 + number + np.arange(len(block)) if integer_ids
                                  else [f"{year}-{number + k:09d}" for k in range(len(block))])
            number += len(block)
            if kind == "duplicates":
                block = _add_duplicates(rng, block)
            writer.add(block)
    writer.close()
    table = pd.DataFrame([_planted_row(years[-1], u, k, sizes[years[-1]][units.index(u)])
                          for u, k in sorted(planted.items())], columns=PLANTED_COLUMNS)
    table.to_csv(out_dir / "planted.csv", index=False, lineterminator="\n")
    _write_registry(out_dir, units, questions, years, seed)
    return table


def _choose_planted(rng, units: list[str], sizes: np.ndarray, share: float) -> dict[str, str]:
    eligible = [u for u, n in zip(units, sizes) if n >= MIN_PLANTED]
    count = min(len(eligible), max(len(KINDS), round(share * len(units))))
    chosen = sorted(rng.choice(eligible, count, replace=False)) if count else []
    return {u: KINDS[k % len(KINDS)] for k, u in enumerate(chosen)}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _unit_ballots(rng, year: int, unit: str, n: int, logit: float, k: int,
                  kind: str | None) -> pd.DataFrame:
    """n ballots of one unit-year (answers as float, NaN = blank), with its anomaly applied."""
    z = rng.normal(0.0, 1.0, n)
    p = _sigmoid(logit + 0.7 * z[:, None] + np.array(QUESTION_EFFECTS[:k]))
    u = rng.random((n, k))
    if kind == "perfect_results":
        u = np.zeros((n, k))
    very = rng.random((n, k)) < _sigmoid(0.3 + 1.2 * z)[:, None]
    low = rng.choice([3.0, 2.0, 1.0], size=(n, k), p=[0.6, 0.25, 0.15])
    answers = np.where(u < p, np.where(very, 5.0, 4.0), low)
    answers[rng.random((n, k)) < BLANK_RATE] = np.nan
    channel = rng.choice(list(CHANNELS), n, p=list(CHANNELS.values()))
    day = rng.integers(0, WINDOW_DAYS, n)
    seconds = np.where(channel == "vneid", rng.integers(6 * 3600, 22 * 3600, n),
                       rng.integers(7 * 3600 + 1800, 17 * 3600, n))
    frame = {"unit_id": np.full(n, unit, dtype=object), "channel": channel,
             "offset": day * 86400 + seconds}
    if kind != "perfect_results":
        _plant_invalid(rng, answers, frame)
    if kind == "copied_forms":
        _copy_forms(rng, answers, frame)
    elif kind == "straight_lining":
        rows = rng.random(n) < 0.7
        first = np.where(np.isnan(answers[:, 0]), 5.0, answers[:, 0])
        answers[rows] = first[rows, None]
    elif kind == "burst":
        _burst(rng, frame)
    stamp = np.datetime64(f"{year}-10-01T00:00:00") + frame.pop("offset").astype("timedelta64[s]")
    table = pd.DataFrame({"year": np.full(n, year, dtype=np.int16), **frame, "stamp": stamp})
    for q in range(k):
        table[f"q_{q + 1}"] = pd.array(answers[:, q], dtype="Float64").astype("Int8")
    return table


def _plant_invalid(rng, answers: np.ndarray, frame: dict) -> None:
    n, k = answers.shape
    draw = rng.random(n)
    edges = np.cumsum(list(INVALID_RATE.values()))
    out_of_scale, blank, unknown = draw < edges[0], (draw >= edges[0]) & (draw < edges[1]), \
        (draw >= edges[1]) & (draw < edges[2])
    answers[out_of_scale, rng.integers(0, k)] = 9.0
    answers[blank] = np.nan
    frame["unit_id"][unknown] = "X9999"


def _copy_forms(rng, answers: np.ndarray, frame: dict) -> None:
    n, k = answers.shape
    copies = rng.choice(n, max(30, n // 20), replace=False)
    pattern = rng.choice([4.0, 5.0], k)
    pattern[rng.choice(k, 2, replace=False)] = [4.0, 5.0]   # mixed: never one answer throughout
    answers[copies] = pattern
    frame["channel"][copies] = "paper"
    frame["offset"][copies] = 12 * 86400 + 9 * 3600


def _burst(rng, frame: dict) -> None:
    timed = np.flatnonzero(frame["channel"] != "paper")
    average = len(timed) / (WINDOW_DAYS * 24 * 6)
    size = min(len(timed) // 2, max(60, int(20 * average)))
    rows = rng.choice(timed, size, replace=False)
    start = int(rng.integers(1, WINDOW_DAYS - 1)) * 86400 + 14 * 3600
    frame["channel"][rows] = "vneid"
    frame["offset"][rows] = start + np.sort(rng.integers(0, 600, size))


def _add_duplicates(rng, block: pd.DataFrame) -> pd.DataFrame:
    copies = block.iloc[np.sort(rng.choice(len(block), int(rng.integers(10, 31)), replace=False))]
    return pd.concat([block, copies], ignore_index=True)


def _planted_row(year: int, unit: str, kind: str, n: int) -> list:
    described = {
        "copied_forms": f"{max(30, n // 20)} paper forms with one mixed answer pattern",
        "straight_lining": "about 70% of ballots give one answer to every question",
        "burst": "at least 60 app ballots (20 × the unit's usual rate) within 10 minutes",
        "duplicates": "10–30 ballots entered a second time with the same ballot_id",
        "perfect_results": "every answer satisfied (4 or 5)",
    }
    return [year, unit, kind, n, described[kind]]


class _ChunkWriter:
    """Collects unit blocks and writes them as Parquet parts of about `rows` ballots."""

    def __init__(self, folder: Path, rows: int):
        self.folder, self.rows, self.blocks, self.count, self.part = folder, rows, [], 0, 0

    def add(self, block: pd.DataFrame) -> None:
        self.blocks.append(block)
        self.count += len(block)
        if self.count >= self.rows:
            self.flush()

    def flush(self) -> None:
        if not self.blocks:
            return
        frame = pd.concat(self.blocks, ignore_index=True)
        questions = [c for c in frame.columns if c.startswith("q_")]
        stamp = pa.array(frame["stamp"].to_numpy())
        paper = pa.array(frame["channel"].to_numpy() == "paper")
        submitted = pc.if_else(paper, pc.strftime(stamp, "%Y-%m-%d"),
                               pc.strftime(stamp, "%Y-%m-%dT%H:%M:%S"))
        table = pa.table({
            "year": pa.array(frame["year"].to_numpy()),
            "unit_id": pa.array(frame["unit_id"].to_numpy(dtype=str)).dictionary_encode(),
            "ballot_id": pa.array(frame["ballot_id"].to_numpy(
                dtype=np.int64 if frame["ballot_id"].dtype.kind == "i" else str)),
            "channel": pa.array(frame["channel"].to_numpy(dtype=str)).dictionary_encode(),
            "submitted_at": submitted,
            **{q: pa.array(frame[q]) for q in questions},
        })
        pq.write_table(table, self.folder / f"part-{self.part:05d}.parquet",
                       row_group_size=ROW_GROUP)
        self.part += 1
        self.blocks, self.count = [], 0

    def close(self) -> None:
        self.flush()


def _write_registry(out_dir: Path, units: list[str], questions: int, years, seed: int) -> None:
    pd.DataFrame({"unit_id": units, "name_vi": [f"Đơn vị {u[1:]}" for u in units],
                  "name_en": [f"Unit {u[1:]}" for u in units], "group": "units", "region": "",
                  "valid_from": "", "valid_to": ""}).to_csv(
        out_dir / "units.csv", index=False, lineterminator="\n")
    pd.DataFrame([["units", "Các đơn vị", "Units"]], columns=["group", "label_vi", "label_en"]).to_csv(
        out_dir / "groups.csv", index=False, lineterminator="\n")
    config = {
        "name": "synthetic-ballots",
        "title_vi": "Mức độ hài lòng — bộ phiếu khảo sát quy mô lớn (dữ liệu giả lập)",
        "title_en": "Satisfaction — a large ballot file (synthetic data)",
        "synthetic": True,
        "default_year": int(years[-1]),
        "satisfied_answers": [4, 5],
        "bootstrap": 1000,
        "seed": seed,
        "survey": {"scale": [1, 5], "questions": [
            {"code": str(q), "label_vi": f"Câu hỏi {q}", "label_en": f"Question {q}"}
            for q in range(1, questions + 1)]},
    }
    (out_dir / "dataset.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
