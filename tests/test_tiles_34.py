"""The tile map of a year on the 34 provinces of July 2025 (papi-provinces' registry): each new
province is drawn on the tile of the former province whose name it keeps, so the 2025 map is
the familiar 63-grid with 34 tiles; 2024 keeps its 63. Expected positions are read from the
CSV files with the csv module or written out by hand below, not taken from the code."""
import csv
import shutil
from pathlib import Path

import pytest

from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.inputs.errors import InputError
from analysis.publication import charts
from analysis.publication.report import Report

PAPI = Path(__file__).resolve().parents[1] / "data" / "papi-provinces"
YAML = """name: tiles34
title_vi: Thử bản đồ ô 34 tỉnh
title_en: Tile map of 34 provinces
methodology:
  components:
    - {code: c1, label_vi: Phần 1, label_en: Part 1, max_points: 6}
    - {code: c2, label_vi: Phần 2, label_en: Part 2, max_points: 4}
"""


def rows(name: str) -> list[dict]:
    with open(PAPI / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def valid(unit: dict, year: int) -> bool:
    return (not unit["valid_from"] or int(unit["valid_from"]) <= year) and (
        not unit["valid_to"] or year <= int(unit["valid_to"]))


def write_34(folder: Path) -> Path:
    """papi-provinces' registry, crosswalk and tiles with synthetic scores for 2024 (the 63) and
    2025 (the 34): points spread over 1–5 and 1–3 so that every band is drawn."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.yaml").write_text(YAML, encoding="utf-8")
    for name in ("units.csv", "groups.csv", "regions.csv", "crosswalk.csv", "tiles.csv"):
        shutil.copy(PAPI / name, folder / name)
    lines = ["year,unit_id,component,points,max_points"]
    for year in (2024, 2025):
        for i, u in enumerate(u for u in rows("units.csv") if valid(u, year)):
            lines += [f"{year},{u['unit_id']},c1,{1 + i % 5},6", f"{year},{u['unit_id']},c2,{1 + i % 3},4"]
    (folder / "index_scores.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def ds34(tmp_path_factory):
    return load_dataset(write_34(tmp_path_factory.mktemp("tiles34")))


def drawn(ds, year: int, lang: str, monkeypatch) -> dict:
    """The arguments the report passes to charts.tile_map: {unit label: (row, col)} and the key."""
    seen = {}

    def spy(rows, cols, labels, colours, legend, key, blank=()):
        seen["tiles"] = {label: (int(r), int(c)) for r, c, label in zip(rows, cols, labels)}
        seen["n"], seen["key"], seen["blank"] = len(list(labels)), key, {(int(r), int(c)) for r, c in blank}
        return real(rows, cols, labels, colours, legend, key, blank=blank)
    real = charts.tile_map
    monkeypatch.setattr(charts, "tile_map", spy)
    figure = Report(ds, year, lang, compute_results(ds, year)).tile_map()
    seen["caption"] = figure.caption
    return seen


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_2025_draws_the_34_provinces_on_tiles_of_their_former_ones(ds34, lang, monkeypatch):
    seen = drawn(ds34, 2025, lang, monkeypatch)
    assert seen["n"] == len(seen["tiles"]) == 34                  # one code per tile
    assert len(set(seen["tiles"].values())) == 34                 # one tile per position
    # by hand, from tiles.csv's 63-grid: the new Tuyên Quang on the former Tuyên Quang's tile
    # (not Hà Giang's 0,3), Gia Lai on Gia Lai's (not Bình Định's 13,5), Hồ Chí Minh City on its
    # own (not Bình Dương's 17,2 or Bà Rịa - Vũng Tàu's 17,4), Cần Thơ on its own
    code = {"vi": {"ĐN": "ĐN", "ĐL": "ĐL"}, "en": {"ĐN": "DN", "ĐL": "DL"}}[lang]
    expected = {"TQ": (1, 3), "GL": (12, 4), "HCM": (17, 3), "CT": (19, 1), code["ĐN"]: (10, 5),
                code["ĐL"]: (13, 4), "HN": (3, 3), "CB": (0, 4)}
    assert {k: seen["tiles"][k] for k in expected} == expected
    for gone in ("HG", "YB", "BG", "QB", "BĐ" if lang == "vi" else "BDi", "KG", "BRVT"):
        assert gone not in seen["tiles"]
    # the 29 former provinces merged into a neighbour's tile are outlined, and the caption says why
    assert len(seen["blank"]) == 29 and {(0, 3), (13, 5), (17, 2), (17, 4), (19, 0)} <= seen["blank"]
    assert not seen["blank"] & set(seen["tiles"].values())
    assert seen["caption"].endswith({"vi": "Ô chỉ có viền: tỉnh, thành phố không còn tồn tại vào năm 2025 "
                                           "(đã hợp nhất hoặc giải thể).",
                                     "en": "Outlined squares: provinces that no longer exist in 2025 "
                                           "(merged or dissolved)."}[lang])
    names = dict(seen["key"])
    assert len(names) == 34
    assert names["TQ"] == {"vi": "Tuyên Quang", "en": "Tuyen Quang"}[lang]


def test_every_new_province_sits_where_a_former_province_of_its_own_sat(ds34, monkeypatch):
    """The rule for all 23: the drawn position is that of a former province listed for it in
    crosswalk.csv, and the one whose name it keeps (units.csv)."""
    seen = drawn(ds34, 2025, "vi", monkeypatch)["tiles"]
    grid = {t["unit_id"]: (int(t["row"]), int(t["col"])) for t in rows("tiles.csv")}
    label = {t["unit_id"]: t["label"] for t in rows("tiles.csv")}
    name = {u["unit_id"]: u["name_vi"] for u in rows("units.csv")}
    formers: dict[str, list[str]] = {}
    for c in rows("crosswalk.csv"):
        formers.setdefault(c["to_unit_id"], []).append(c["from_unit_id"])
    assert len(formers) == 23
    for new, old in formers.items():
        at = seen[label[new]]
        assert at in {grid[o] for o in old}, new
        [namesake] = [o for o in old if name[o] == name[new]]
        assert at == grid[namesake], new
    # the 11 unchanged provinces keep their tiles
    unchanged = [u["unit_id"] for u in rows("units.csv") if valid(u, 2024) and valid(u, 2025)]
    assert len(unchanged) == 11
    assert all(seen[label[u]] == grid[u] for u in unchanged)


def test_2024_keeps_the_63_tiles(ds34, monkeypatch):
    seen = drawn(ds34, 2024, "vi", monkeypatch)
    first63 = {t["label"]: (int(t["row"]), int(t["col"])) for t in rows("tiles.csv")
               if not t["unit_id"].startswith("n25_")}
    assert len(first63) == 63 and seen["n"] == 63 and seen["tiles"] == first63
    assert seen["tiles"]["BĐ"] == (13, 5) and seen["tiles"]["CM"] == (21, 0)   # by hand
    assert len(seen["key"]) == 63
    assert seen["blank"] == set() and "Ô chỉ có viền" not in seen["caption"]


def refused(tmp_path, unit: str, row_col_label: str) -> list:
    folder = tmp_path / "papi"
    shutil.copytree(PAPI, folder)
    tiles = folder / "tiles.csv"
    lines = tiles.read_text(encoding="utf-8").splitlines()
    lines = [f"{unit},{row_col_label}" if line.startswith(f"{unit},") else line for line in lines]
    tiles.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    return err.value.problems


def test_a_position_taken_in_the_same_year_is_refused_with_file_row_and_column(tmp_path):
    # the new Gia Lai (row 73 of tiles.csv: header + 63 + 9th of the 23) on Hà Nội's tile
    # (row 2): both valid in 2025
    [problem] = refused(tmp_path, "n25_gia_lai", "3,3,GL")
    assert (problem.file, problem.row, problem.column) == ("tiles.csv", 73, "col")
    assert "(row=3, col=3) already given on row 2 to unit '01'" in problem.message
    assert "both units are valid in the years from 2025" in problem.message
    assert "free row and col" in problem.fix and "valid_from/valid_to in units.csv" in problem.fix


def test_a_label_taken_in_the_same_year_is_refused_but_a_former_units_is_not(tmp_path):
    [problem] = refused(tmp_path, "n25_gia_lai", "12,4,HN")
    assert (problem.file, problem.row, problem.column) == ("tiles.csv", 73, "label")
    assert "(label=HN) already given on row 2 to unit '01'" in problem.message
    # Kon Tum's tile and code (valid to 2024) may go to the new Gia Lai (from 2025)
    folder = tmp_path / "ok"
    shutil.copytree(PAPI, folder)
    tiles = folder / "tiles.csv"
    tiles.write_text(tiles.read_text(encoding="utf-8").replace("n25_gia_lai,12,4,GL", "n25_gia_lai,11,4,KT"),
                     encoding="utf-8")
    assert load_dataset(folder).tiles.set_index("unit_id").at["n25_gia_lai", "label"] == "KT"


def test_the_years_both_units_share_are_named(tmp_path):
    """Two units with bounded validity (2011–2024 and 2020–2030) overlap in 2020–2024."""
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "dataset.yaml").write_text(YAML, encoding="utf-8")
    (folder / "units.csv").write_text("unit_id,name_vi,name_en,group,valid_from,valid_to\n"
                                      "A,Tỉnh A,Province A,p,2011,2024\nB,Tỉnh B,Province B,p,2020,2030\n",
                                      encoding="utf-8")
    (folder / "tiles.csv").write_text("unit_id,row,col,label\nA,0,0,A\nB,0,0,B\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    [problem] = err.value.problems
    assert (problem.file, problem.row, problem.column) == ("tiles.csv", 3, "col")
    assert problem.message.endswith("both units are valid in 2020–2024")
