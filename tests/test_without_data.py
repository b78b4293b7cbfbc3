"""Nothing disappears silently: a unit valid in a year but without rows that year is a warning
of `validate` (exit 0), a result table, and a sentence of the audit appendix."""
import shutil
from html import unescape
from pathlib import Path

from analysis import cli
from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.publication.report import Report

ROOT = Path(__file__).resolve().parents[1]


def without_mard_2023(tmp_path: Path) -> Path:
    """par-ministries with the Ministry of Agriculture's 2023 index rows deleted."""
    folder = tmp_path / "ministries"
    shutil.copytree(ROOT / "data" / "par-ministries", folder)
    path = folder / "index_scores.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(l for l in lines if not l.startswith("2023,MARD,")), encoding="utf-8")
    return folder


def test_validate_warns_and_exits_0(tmp_path, capsys):
    folder = without_mard_2023(tmp_path)
    assert cli.main(["validate", "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert ("- warning: 1 unit valid in 2023 without a row in index_scores.csv: MARD (they are left "
            "out of 2023's figures; add their rows, or end their validity in units.csv)") in out
    assert cli.main(["validate", "--data", str(ROOT / "data" / "par-ministries")]) == 0
    assert "warning" not in capsys.readouterr().out


def test_the_run_and_the_audit_appendix_name_the_unit(tmp_path):
    ds = load_dataset(without_mard_2023(tmp_path))
    tables = compute_results(ds, 2023)
    missing = tables["units_without_data"]
    assert missing[["year", "file", "unit_id", "name_en"]].values.tolist() == [
        [2023, "index_scores.csv", "MARD", "Ministry of Agriculture and Rural Development"]]
    assert len(tables["index_units"]) == 16
    html = unescape(Report(ds, 2023, "en", tables).audit().data)
    assert ("Units without data in 2023 in index_scores.csv (1): Ministry of Agriculture and Rural "
            "Development. The figures drawn from this file leave them out.") in html
    vi = Report(ds, 2023, "vi", tables).audit().data
    assert "Đơn vị không có dữ liệu năm 2023 trong index_scores.csv (1): Bộ Nông nghiệp và Phát triển nông thôn" in vi
    assert "units_without_data" not in compute_results(load_dataset(ROOT / "data" / "par-ministries"), 2023)
