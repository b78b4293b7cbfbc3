"""The synthetic dossier dataset: reproducible, marked synthetic, the 2025 merger in its
registry and its records, realistic national levels, and the index runs on it."""
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from analysis.inputs.dataset import load_dataset
from analysis.indices.results import service_tables
from analysis.indices.service_quality import DEFAULT_SERVICE_INDEX, unit_months
from analysis.synth.dossiers import make_demo_dossiers

MONTHS = ("2025-05", "2025-06", "2025-07", "2025-08")
UNCHANGED = {"01", "04", "11", "12", "14", "20", "22", "38", "40", "42", "46"}


def make(folder, seed=5):
    return make_demo_dossiers(folder, seed=seed, dossiers_per_year=60_000, months=MONTHS)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return make(tmp_path_factory.mktemp("demo-dossiers"))


def valid_in(units, month):
    return (units["first_month"].isna() | (units["first_month"] <= month)) & (
        units["last_month"].isna() | (units["last_month"] >= month))


def read(folder, name):
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_records(demo, tmp_path):
    again = files(make(tmp_path / "again"))
    assert again == files(demo)
    other = files(make(tmp_path / "other", seed=6))
    assert other["dossiers/part-2025-07.parquet"] != again["dossiers/part-2025-07.parquet"]


def test_marked_synthetic_with_the_mapping(demo):
    settings = yaml.safe_load((demo / "dataset.yaml").read_text(encoding="utf-8"))
    assert settings["synthetic"] is True and settings["name"] == "demo-dossiers"
    assert settings["title_vi"] and settings["title_en"]
    assert (settings["index_name_vi"], settings["index_name_en"]) == ("Bộ chỉ số 766", "Decision 766 index")
    assert settings["default_period"] == "2025-08"
    assert settings["service_index"] == DEFAULT_SERVICE_INDEX


def test_63_provinces_until_june_2025_then_34(demo):
    units = unit_months(read(demo, "units.csv"))
    provinces = units[units["group"] == "province"]
    assert valid_in(provinces, "2025-06").sum() == 63
    after = provinces[valid_in(provinces, "2025-07")]
    assert len(after) == 34
    new = {u for u in after["unit_id"] if u.startswith("n25_")}
    assert set(after["unit_id"]) - UNCHANGED == new and len(new) == 23
    crosswalk = read(demo, "crosswalk.csv")
    assert len(crosswalk) == 52 and crosswalk["to_unit_id"].nunique() == 23
    assert not set(crosswalk["from_unit_id"]) & UNCHANGED
    ministries = units[units["group"] == "ministry"]
    assert len(ministries) >= 18
    assert ("Bảo hiểm xã hội Việt Nam", "Vietnam Social Security") in set(
        zip(ministries["name_vi"], ministries["name_en"]))


def test_records_follow_the_registry(demo):
    def provinces(month):
        ids = pq.read_table(demo / "dossiers" / f"part-{month}.parquet",
                            columns=["unit_id"])["unit_id"].to_pylist()
        return {u for u in ids if not u.startswith("m_")}
    assert len(provinces("2025-06")) == 63
    assert len(provinces("2025-07")) == 34


def test_index_on_the_demo_across_the_merger(demo):
    ds = load_dataset(demo)
    assert service_tables(ds, "2025-08")[1].empty      # nothing rejected
    t = service_tables(ds, "2025-07")[0]["service_index"]
    provinces = t[t["group"] == "province"]
    assert len(provinces) == 34 and provinces["n_ranked"].iloc[0] == 34
    assert provinces["prev_basis"].value_counts().to_dict() == {
        "recomputed_from_records": 23, "same_unit": 11}
    assert set(t.loc[t["group"] == "ministry", "prev_basis"]) == {"same_unit"}
    # realistic national levels (DOMAIN.md: online submission 38%, on time 91% in provinces)
    assert 0.33 < t["national_online_submission"].iloc[0] < 0.50
    on_time = provinces["n_on_time"].sum() / provinces["n_resolved_due"].sum()
    assert 0.85 < on_time < 0.95
    assert 0.95 < t["national_satisfaction"].iloc[0] < 0.99
    assert t["total"].dropna().between(0, 100).all()
    # a unit without a total has its missing indicator named (never filled from another)
    assert (t["total"].notna() | (t["missing_indicators"] != "")).all()


def test_committed_demo_is_current(tmp_path):
    """data/demo-dossiers is exactly what `par-report synth dossiers --rows 100000` writes."""
    committed = Path(__file__).resolve().parents[1] / "data" / "demo-dossiers"
    assert files(make_demo_dossiers(tmp_path / "demo-dossiers", dossiers_per_year=100_000)) == \
        files(committed)
