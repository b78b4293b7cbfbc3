"""Working papers: the explain notebook recomputes a unit's figures in plain pandas/scipy and
finds every one equal to the published tables; `par-report explain` and `run --explain` keep it
in the run folder; result tables carry names and the previous year's counts."""
import csv
import json
import shutil
from pathlib import Path

import pandas as pd

from analysis import cli
from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]


def shown(path: Path) -> str:
    """Everything the executed notebook printed or displayed as text."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def test_explain_one_province_of_papi(tmp_path, capsys):
    assert cli.main(["explain", "--data", str(ROOT / "data" / "papi-provinces"), "--year", "2016",
                     "--unit", "01", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "papi-provinces" / "2016"
    notebook = folder / "explain" / "01.ipynb"
    text = shown(notebook)
    # Ha Noi 2016: the six PAPI dimensions sum to 33.8059 of 60 (index_scores.csv rows 1892–1897)
    assert "rows 1892, 1893, 1894, 1895, 1896, 1897 of index_scores.csv" in text
    assert "score = 100 × 33.8059 ÷ 60 = 56.3432" in text and "→ rank 58" in text
    assert "7 of 7 figures agree" in text and "✗" not in text
    assert (folder / "explain" / "01.html").stat().st_size > 10_000
    assert (folder / "tables" / "index_units.csv").is_file()      # the run it explains


def test_run_explain_covers_leader_laggard_and_flagged_units(tmp_path):
    assert cli.main(["run", "--data", str(ROOT / "data" / "demo-mps"), "--year", "2025", "--format", "",
                     "--out", str(tmp_path), "--quiet", "--explain"]) == 0
    folder = tmp_path / "demo-mps" / "2025"
    text = shown(folder / "explain" / "explain.ipynb")
    gaps = pd.read_csv(folder / "tables" / "gaps.csv")
    integrity = pd.read_csv(folder / "tables" / "integrity.csv")
    expected = set(gaps["leader_unit"]) | set(gaps["laggard_unit"]) | set(integrity.loc[integrity["flagged"], "unit_id"])
    for unit in expected:
        assert unit in text
    assert "flagged: burst" in text
    summary = next(line for line in text.splitlines() if "figures agree" in line)
    agreed, total = (int(w) for w in summary.split()[0:3:2])
    assert agreed == total > 60, summary
    assert "✗" not in text
    assert json.loads((folder / "manifest.json").read_text())["outputs"]["explain/explain.ipynb"]


def test_explain_an_unknown_unit_names_it(tmp_path, capsys):
    assert cli.main(["explain", "--data", str(ROOT / "data" / "par-ministries"), "--year", "2023",
                     "--unit", "nope", "--out", str(tmp_path)]) == 1
    assert "no unit 'nope'" in capsys.readouterr().err


def test_tables_carry_names_and_the_previous_years_counts(tmp_path):
    shutil.copytree(ROOT / "tests" / "corpus" / "valid", tmp_path / "d")
    with open(tmp_path / "d" / "satisfaction.csv", "a", encoding="utf-8") as f:
        f.write("2024,HN,120,100\n2024,HP,60,40\n")
    ds = load_dataset(tmp_path / "d")
    results = compute_results(ds, 2024)
    yoy = results["satisfaction_yoy"].set_index("unit_id")
    with open(tmp_path / "d" / "satisfaction.csv", encoding="utf-8") as f:
        rows = {(r["year"], r["unit_id"]): r for r in csv.DictReader(f)}
    for unit in yoy.index.drop(""):
        assert yoy.at[unit, "n_valid_prev"] == int(rows[("2023", unit)]["n_respondents"])
        assert yoy.at[unit, "n_satisfied_prev"] == int(rows[("2023", unit)]["n_satisfied"])
        assert yoy.at[unit, "n_valid"] == int(rows[("2024", unit)]["n_respondents"])
    # the population row pools every unit of each year, as its rates do
    assert yoy.at["", "n_valid_prev"] == sum(int(r["n_respondents"]) for (y, _), r in rows.items() if y == "2023")
    registry = ds.units.set_index("unit_id")
    for name, table in results.items():
        if "unit_id" in table.columns and len(table):
            columns = list(table.columns)
            assert columns[columns.index("unit_id") + 1: columns.index("unit_id") + 3] == ["name_vi", "name_en"], name
            known = table[table["unit_id"].isin(registry.index)]
            assert (known["name_en"] == registry.loc[known["unit_id"], "name_en"].to_numpy()).all(), name
