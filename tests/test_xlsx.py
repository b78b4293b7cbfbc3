"""The workbook for re-use: one percent convention (proportions with a 0.00% format), sheet
names and coded values in the edition's language, names beside ids, p-values and whole numbers
with real number formats, autofilter, print fitted to the page width, workbook properties."""
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.publication.xlsx import P_VALUE_FORMAT, PERCENT, WHOLE, period_end, sheet_name, write_workbook
from analysis.publication.i18n import dataset_wording

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ministries():
    ds = load_dataset(ROOT / "data" / "par-ministries")
    return ds, compute_results(ds, 2023)


@pytest.fixture(scope="module")
def papi():
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    return ds, compute_results(ds, 2016)


def workbook(tmp_path, ds, results, lang, year=None):
    path = tmp_path / f"{ds.name}-{lang}.xlsx"
    write_workbook(results, ds, "Báo cáo" if lang == "vi" else "Report", lang, path, year)
    return load_workbook(path)


def column_of(sheet, header):
    """The cells under `header` (row 1)."""
    index = [c.value for c in sheet[1]].index(header) + 1
    return [row[0] for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]


def satisfaction_tables():
    """A satisfaction table (proportions, 0–1) and its year-on-year table, hand-made."""
    units = pd.DataFrame({"unit_id": ["MOJ", "MOF"], "n_ballots": [100, 80], "n_valid": [400, 320],
                          "n_satisfied": [390, 300], "p": [0.975, 0.9375], "ci_low": [0.955, 0.905],
                          "ci_high": [0.987, 0.959], "deff": [1.0, 1.2], "n_eff": [400.0, 266.7]})
    yoy = pd.DataFrame({"unit_id": [pd.NA, "MOJ"], "p": [0.9573, 0.975], "p_prev": [0.981, 0.99],
                        "diff": [-0.0237, -0.015], "ci_low": [-0.03, -0.03], "ci_high": [-0.017, 0.0],
                        "p_value": [3.2e-26, 0.06], "p_adjusted": [6.0e-25, 0.06],
                        "significant": [True, False], "n_eff": [700.0, 400.0], "n_eff_prev": [650.0, 380.0],
                        "year": [2023, 2023], "prev_year": [2022, 2022], "like_for_like": [True, True]})
    return {"satisfaction_units": units, "satisfaction_yoy": yoy}


def test_every_percent_is_a_proportion_with_a_percent_format(tmp_path, ministries):
    ds, results = ministries
    book = workbook(tmp_path, ds, {**results, **satisfaction_tables()}, "en")
    units = book[sheet_name("index_units", "en")]
    scores = {c.value: s for c, s in zip(column_of(units, "Unit ID"), column_of(units, "Score (%)"))}
    # Bộ Tư pháp 2023: its published total 89.95 (the old sheet held 89.96 under "(%)")
    assert scores["MOJ"].value == pytest.approx(0.8995, abs=1e-9)
    assert scores["MOJ"].number_format == PERCENT
    satisfied = column_of(book[sheet_name("satisfaction_units", "en")], "Satisfied (%)")
    assert [c.value for c in satisfied] == [0.975, 0.9375] and {c.number_format for c in satisfied} == {PERCENT}
    yoy = book[sheet_name("satisfaction_yoy", "en")]
    assert [c.value for c in column_of(yoy, "Unit")] == ["All units", "Ministry of Justice"]
    diff = column_of(yoy, "Difference (percentage points)")
    assert diff[0].value == pytest.approx(-2.37) and diff[0].number_format != PERCENT
    for sheet in book.worksheets:  # no percent-formatted cell holds a number on the 0–100 scale
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.number_format == PERCENT and cell.value is not None:
                    assert -1.5 <= cell.value <= 1.5, (sheet.title, cell.coordinate, cell.value)


def test_p_values_keep_their_value_under_a_real_format(tmp_path, ministries):
    ds, results = ministries
    book = workbook(tmp_path, ds, {**results, **satisfaction_tables()}, "vi")
    p = column_of(book[sheet_name("satisfaction_yoy", "vi")], "Giá trị p")
    assert p[0].value == 3.2e-26 and p[0].number_format == '[<0.001]"<0,001";0.000'
    assert P_VALUE_FORMAT["en"] == '[<0.001]"<0.001";0.000'  # each edition's decimal mark


def test_ranks_and_counts_are_whole_numbers(tmp_path, ministries):
    ds, results = ministries
    book = workbook(tmp_path, ds, results, "vi")
    assert {c.number_format for c in column_of(book[sheet_name("index_units", "vi")], "Xếp hạng")} == {WHOLE}
    sheet = book[sheet_name("reconciliation", "vi")]
    formats = {(m.value, c.number_format) for m, c in zip(column_of(sheet, "Chỉ tiêu"), column_of(sheet, "Số liệu đã công bố"))}
    assert ("Xếp hạng", WHOLE) in formats and ("Chỉ số", WHOLE) not in formats


SNAKE_CODE = re.compile(r"[a-z]+(_[a-z]+)+")


def test_vietnamese_sheet_names_and_values(tmp_path, papi):
    ds, results = papi
    book = workbook(tmp_path, ds, results, "vi")
    assert book.sheetnames[0] == "Giới thiệu"
    assert {"Xếp hạng địa phương", "Kết quả theo nhóm, vùng", "Kiểm định thống kê"} <= set(book.sheetnames)
    assert not set(book.sheetnames) & set(results)  # every table's sheet named in Vietnamese
    units = book["Xếp hạng địa phương"]   # PAPI's units are provinces (dataset.yaml unit_words)
    hanoi = [c.row for c in column_of(units, "Mã địa phương") if c.value == "01"][0]
    row = {h.value: c.value for h, c in zip(units[1], units[hanoi])}
    assert row["Vùng"] == "Đồng bằng sông Hồng"  # was red_river_delta
    assert row["Xếp loại"] == "Nhóm đạt điểm thấp nhất"  # was "Poor performers"
    ids = {"Mã địa phương", "Mã địa phương dẫn đầu", "Mã địa phương xếp cuối"}
    for sheet in book.worksheets:
        headers = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            for header, cell in zip(headers, row):
                if isinstance(cell.value, str) and header not in ids:
                    assert not SNAKE_CODE.fullmatch(cell.value), (sheet.title, header, cell.value)
                    assert cell.value not in ("True", "False", "true", "false")


def test_names_beside_ids(tmp_path, ministries):
    ds, results = ministries
    sheet = workbook(tmp_path, ds, results, "vi")[sheet_name("gaps", "vi")]
    headers = [c.value for c in sheet[1]]
    at = headers.index("Mã đơn vị dẫn đầu")
    assert headers[at + 1] == "Tên đơn vị dẫn đầu"
    assert [c.value for c in sheet[2]][at:at + 2] == ["MOJ", "Bộ Tư pháp"]
    components = workbook(tmp_path, ds, results, "en")[sheet_name("index_components", "en")]
    headers = [c.value for c in components[1]]  # the table's own names, or one put beside the id
    assert headers[0] == "Unit ID" and {"Unit", "Name (English)"} & set(headers)


def test_autofilter_print_fit_and_properties(tmp_path, ministries):
    ds, results = ministries
    book = workbook(tmp_path, ds, results, "vi")
    for sheet in book.worksheets[1:]:
        assert sheet.auto_filter.ref == sheet.dimensions
    across = {}
    for sheet in book.worksheets:
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0
        width = sum(sheet.column_dimensions[get_column_letter(i)].width for i in range(1, sheet.max_column + 1))
        # A4 landscape holds about 140 characters of column width at 100%: never below 70%
        assert width / sheet.page_setup.fitToWidth <= 140 / 0.7, sheet.title
        assert sheet.page_setup.orientation == ("landscape" if width > 95 else "portrait"), sheet.title
        across[sheet.title] = sheet.page_setup.fitToWidth
        assert sheet.print_title_rows == "$1:$1"
        # frozen: the header, and the columns up to the units' names where a sheet has them
        headers = [c.value for c in sheet[1]]
        named = [i for i, h in enumerate(headers[:3], start=1)
                 if h in ("Tên đơn vị", "Tên địa phương", "Tên", "Tên (tiếng Việt)", "Tên (tiếng Anh)")]
        frozen = sheet.freeze_panes
        if named:   # through the last of the names (the English one too)
            assert frozen == f"{get_column_letter(named[-1] + 1)}2", sheet.title
            assert sheet.print_title_cols == f"$A:${get_column_letter(named[-1])}"
        else:
            assert frozen == "A2", sheet.title
    assert across["Giới thiệu"] == 1 and 1 in across.values()
    assert across[sheet_name("index_units", "vi")] >= 2  # 20-odd columns: not one unreadable page
    props = book.properties
    assert props.title == "Báo cáo" and props.language == "vi"
    assert props.subject == ds.config.title("vi") and props.creator and props.keywords


def test_about_sheet_names_the_csv_of_each_sheet(tmp_path, ministries):
    ds, results = ministries
    about = workbook(tmp_path, ds, results, "vi")["Giới thiệu"]
    pairs = {r[0].value: r[1].value for r in about.iter_rows(min_row=2)}
    assert pairs["Trang tính “Xếp hạng đơn vị”"] == "tables/index_units.csv"


@pytest.mark.parametrize("lang, cited, not_cited", [
    ("vi", "Báo cáo PAPI 2016 (https://papi.org.vn)", "Báo cáo PAPI thường niên 2011–2024"),
    ("en", "PAPI 2016 report (https://papi.org.vn)", "PAPI annual reports 2011–2024")])
def test_about_sheet_cites_the_years_method_source(tmp_path, papi, lang, cited, not_cited):
    ds, results = papi
    path = tmp_path / f"papi-{lang}.xlsx"
    write_workbook(results, ds, "title", lang, path, 2016)
    about = load_workbook(path).worksheets[0]
    sources = [b.value for a, b in about.iter_rows(min_row=2, max_col=2)
               if a.value == ("Nguồn" if lang == "vi" else "Source")]
    assert any(cited in s for s in sources), sources
    assert not any(not_cited in s for s in sources)


def test_service_rates_are_percents_and_points_are_points(tmp_path):
    ds = load_dataset(ROOT / "data" / "demo-dossiers")
    results = compute_results(ds, 2025, period="2025-07")
    sheet = workbook(tmp_path, ds, results, "en")[sheet_name("service_index", "en")]
    s = results["service_index"]
    for header, column, fmt in (("National average", "national_average", "#,##0.00"),
                                ("Total points", "total", "#,##0.00")):
        cells = column_of(sheet, header)
        assert [c.value for c in cells] == pytest.approx(s[column].tolist())  # 61.10 points, not 6110%
        assert {c.number_format for c in cells} == {fmt}
    rates = [h.value for h in sheet[1] if str(h.value).startswith(("Rate: ", "National: "))]
    assert rates and all({c.number_format for c in column_of(sheet, h)} == {PERCENT} for h in rates)


def test_two_runs_write_identical_bytes_dated_by_the_period(tmp_path, ministries):
    """openpyxl stamps the workbook (docProps/core.xml) and each zip entry with the time of
    saving; the edition's workbook is dated the end of the period instead, so a rerun two
    seconds later (the zip's time resolution) gives the same bytes."""
    import time
    ds, results = ministries
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(results, ds, "Báo cáo", "vi", first, 2023)
    time.sleep(2.1)
    write_workbook(results, ds, "Báo cáo", "vi", second, period="2023")
    assert first.read_bytes() == second.read_bytes()
    props = load_workbook(first).properties
    assert props.created == props.modified == datetime(2023, 12, 31, 12, 0)
    import zipfile
    with zipfile.ZipFile(first) as z:
        assert {i.date_time for i in z.infolist()} == {(2023, 12, 31, 12, 0, 0)}
    assert period_end("2025-07") == datetime(2025, 7, 31, 12, 0) and period_end("2024-02").day == 29


def test_notes_on_published_figures_in_the_edition_language(tmp_path, ministries):
    """published.csv's note is English; its note_vi is what the VI workbook shows."""
    ds, results = ministries
    notes = {}
    for lang in ("vi", "en"):
        sheet = workbook(tmp_path, ds, results, lang)[sheet_name("reconciliation", lang)]
        header = "Ghi chú" if lang == "vi" else "Note"
        notes[lang] = [c.value for c in column_of(sheet, header)]
    assert "thứ hạng trong 17 bộ, cơ quan ngang bộ" in notes["vi"] and "rank of 17" in notes["en"]
    english = set(ds.published["note"])
    assert len(notes["vi"]) == 39 and not english & set(notes["vi"])


def test_the_index_is_named_by_its_own_name(tmp_path, papi):
    """PAPI's gap and tests sheets name the index PAPI (they said "Chỉ số cải cách hành chính")."""
    ds, results = papi
    for lang in ("vi", "en"):
        book = workbook(tmp_path, ds, results, lang)
        header = "Chỉ tiêu" if lang == "vi" else "Metric"
        metrics = [c.value for c in column_of(book[sheet_name("gaps", lang)], header)]
        assert metrics == ["PAPI"], metrics
        texts = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
        assert not texts & {"Chỉ số cải cách hành chính", "Administrative reform index"}


@pytest.mark.parametrize("name,year,period", [("demo-mps", 2025, None), ("demo-dossiers", 2025, "2025-07")])
def test_every_sheet_is_named_in_the_edition_language(tmp_path, name, year, period):
    """No sheet keeps its table's code as its name ("units_without_data" did)."""
    ds = load_dataset(ROOT / "data" / name)
    results = compute_results(ds, year, period=period)
    for lang in ("vi", "en"):
        book = workbook(tmp_path, ds, results, lang)
        assert not set(book.sheetnames) & set(results), book.sheetnames
        assert not [s for s in book.sheetnames if SNAKE_CODE.fullmatch(s)]


def test_no_empty_column_and_no_coded_rule(tmp_path):
    """PAPI 2011, a first year: its unit sheet had 10 always-empty change columns, the gap sheet
    14 of 33 empty; the reconciliation's rule read `round`."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    book = workbook(tmp_path, ds, compute_results(ds, 2011), "vi")
    for sheet in book.worksheets[1:]:
        for column in sheet.iter_cols(min_row=1):
            if sheet.max_row > 1:
                assert any(c.value not in (None, "") for c in column[1:]), (sheet.title, column[0].value)
    ministries = load_dataset(ROOT / "data" / "par-ministries")
    sheet = workbook(tmp_path, ministries, compute_results(ministries, 2023), "vi")[sheet_name("reconciliation", "vi")]
    rules = {c.value for c in column_of(sheet, "Quy tắc khớp")}
    assert rules and not rules & {"round", "truncate"}


def test_sensitivity_assumptions_in_words(tmp_path, papi):
    """The Sobol sheet named its assumptions by code (weight:control_of_corruption)."""
    ds, results = papi
    sheet = workbook(tmp_path, ds, results, "vi")[sheet_name("sensitivity_sobol", "vi")]
    factors = [c.value for c in sheet["B"][1:]] + [c.value for c in sheet["A"][1:]]
    assert "Trọng số: Kiểm soát tham nhũng trong khu vực công" in factors
    assert not [f for f in factors if isinstance(f, str) and ("weight:" in f or f == "aggregation")]


def test_own_scale_workbook_says_how_its_percents_become_the_pdfs_points(tmp_path):
    """PAPI's PDF speaks points (8–80), its workbook proportions of the maximum: the About
    sheet gives the conversion (× 80 for a level, × 0.80 for a gap or change in points)."""
    import openpyxl

    from analysis.indices.results import compute_results
    from analysis.inputs.dataset import load_dataset
    from analysis.publication.xlsx import write_workbook

    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "papi-provinces")
    write_workbook(compute_results(ds, 2024), ds, "PAPI 2024", "en", tmp_path / "r.xlsx", 2024, "2024")
    about = dict(row[:2] for row in openpyxl.load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))
    text = about["The index's own scale"]
    assert "PAPI score (8–80)" in text and "× 80" in text and "multiply by 0.80" in text


@pytest.mark.parametrize(("lang", "unit", "kind_test", "kind_spread"), [
    ("en", "points on the 8–80 scale", "Test", "Measure of spread (not a test, no p-value)"),
    ("vi", "điểm trên thang 8–80", "Kiểm định",
     "Thước đo độ phân tán (không phải kiểm định, không có giá trị p)")])
def test_tests_sheet_is_in_the_pdfs_points_and_every_number_header_says_its_unit(
        tmp_path, lang, unit, kind_test, kind_spread):
    """PAPI 2024's PDF gives the change's tests in points of 8–80; the workbook did so in percent
    of the maximum with no unit in its headers (1.106 beside the PDF's 0.885). Now every numeric
    header names its unit in the edition's language and the values are on that scale, recomputed
    from the dimension totals of data/papi-provinces/index_scores.csv: the mean change (paired t
    effect) and median change (Wilcoxon effect) of the 59 provinces scored in 2023 and 2024, their
    2024 SD (n − 1), the t interval mean ± t(0.975, 58)·s/√59; the SD ratio and the slope have
    no unit. A first column says which rows are tests and which measures of spread (no p-value),
    tests first."""
    from scipy import stats

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    both = totals[[2023, 2024]].dropna()
    diff = both[2024] - both[2023]
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std() / len(diff) ** 0.5
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    path = tmp_path / "r.xlsx"
    write_workbook(compute_results(ds, 2024), ds, "PAPI 2024", lang, path, 2024, "2024")
    sheet = load_workbook(path)[sheet_name("tests", lang)]
    headers = [c.value for c in sheet[1]]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    numeric = [h for i, h in enumerate(headers) if any(isinstance(r[i], (int, float)) for r in rows)]
    assert len(numeric) == 6
    no_unit = "no unit" if lang == "en" else "không có đơn vị"
    statistic, p_value, effect, ci_low, ci_high, n = numeric
    assert unit in statistic and no_unit in statistic and unit in effect and no_unit in effect
    assert no_unit in p_value
    assert all(("unit of the estimate" if lang == "en" else "cùng đơn vị với ước lượng") in h
               for h in (ci_low, ci_high))
    assert n == ("Sample size (provinces)" if lang == "en" else "Cỡ mẫu (số địa phương)")
    assert [r[0] for r in rows] == [kind_test] * 4 + [kind_spread] * 3
    column = {h: headers.index(h) for h in numeric}
    paired, wilcoxon, pitman, beta, sd, iqr, cv = rows
    assert paired[column[effect]] == pytest.approx(diff.mean(), abs=1e-9)   # 0.885 points
    assert paired[column[ci_low]] == pytest.approx(diff.mean() - half, abs=1e-9)
    assert paired[column[ci_high]] == pytest.approx(diff.mean() + half, abs=1e-9)
    assert wilcoxon[column[effect]] == pytest.approx(diff.median(), abs=1e-9)
    assert sd[column[statistic]] == pytest.approx(both[2024].std(), abs=1e-9)
    assert sd[column[effect]] == pytest.approx(both[2024].std() - both[2023].std(), abs=1e-9)
    assert pitman[column[effect]] == pytest.approx(both[2024].std() / both[2023].std(), abs=1e-9)
    assert cv[column[statistic]] == pytest.approx(both[2024].std() / both[2024].mean(), abs=1e-9)
    assert all(r[column[p_value]] is None for r in (sd, iqr, cv))
    assert all(r[column[p_value]] is not None for r in (paired, wilcoxon, pitman, beta))
    formats = {c.number_format for c in sheet[2][column[effect]:column[ci_high] + 1]}
    assert formats == {"#,##0.00"}   # the mean change and its interval in points: two decimals
    assert sheet.cell(2, column[statistic] + 1).number_format == "#,##0.000"   # t: no unit
    assert sheet.cell(4, column[effect] + 1).number_format == "#,##0.000"   # the SD ratio
    assert sheet.cell(6, column[statistic] + 1).number_format == "#,##0.00"   # the SD, points
    assert sheet.cell(3, column[statistic] + 1).number_format == "#,##0"   # W = 303, whole


def test_papi_sub_dimensions_are_headed_in_papis_words(tmp_path, papi):
    """The sub-dimensions sheet: its parent column is the dimension and its own column the
    sub-dimension (PAPI's "chỉ số nội dung" / "chỉ số nội dung thành phần"); the English edition
    had "Component | Dimension" for the two. The dimensions are named as in 2016's method
    (2018 renamed transparency)."""
    ds, results = papi
    for lang, parent, own in (("vi", "Chỉ số nội dung", "Chỉ số nội dung thành phần"),
                              ("en", "Dimension", "Sub-dimension")):
        sheet = workbook(tmp_path, ds, results, lang, 2016)[sheet_name("index_subcomponents", lang,
                                                                      dataset_wording(ds))]
        headers = [c.value for c in sheet[1]]
        assert headers[3:5] == [parent, own], headers
        dimensions = {c[f"label_{lang}"] for c in ds.config.method(2016)["components"]}
        assert {row[3].value for row in sheet.iter_rows(min_row=2)} == dimensions


def test_the_ranking_sheet_is_in_rank_order_with_one_vietnamese_band(tmp_path, papi):
    ds, results = papi
    for lang in ("vi", "en"):
        sheet = workbook(tmp_path, ds, results, lang)[sheet_name("index_units", lang, dataset_wording(ds))]
        headers = [c.value for c in sheet[1]]
        ranks = [c.value for c in column_of(sheet, "Xếp hạng" if lang == "vi" else "Rank")]
        assert ranks == sorted(ranks) and ranks[0] == 1 and len(ranks) == 63
        bands = [h for h in headers if h.startswith("Xếp loại" if lang == "vi" else "Band")]
        assert bands == (["Xếp loại"] if lang == "vi" else ["Band", "Band (Vietnamese)"])


def test_the_papi_ranking_sheet_leads_with_points_as_the_pdf(tmp_path):
    """PAPI 2024 on its 8–80 scale: Tây Ninh's points, its 2023 points and the change, each the
    sum of its eight dimensions in data/papi-provinces/index_scores.csv (the PDF prints 47.35 and
    +8.11), come before the percent of the maximum."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    tay_ninh = scores[scores["unit_id"] == "72"].groupby("year")["points"].sum()
    path = tmp_path / "papi-en.xlsx"
    write_workbook(compute_results(ds, 2024), ds, "Report", "en", path, 2024)
    book = load_workbook(path)
    sheet = book[sheet_name("index_units", "en", dataset_wording(ds))]
    headers = [c.value for c in sheet[1]]
    assert headers[4:9] == ["Points", "Maximum points", "Previous points", "Change (points)",
                            "Share of the maximum (%)"]
    # one group (the provinces): no column repeating it and the rank, the About sheet says so
    assert "Group" not in headers and "Rank in group" not in headers and "Rank" in headers
    # the percents named as the PDF names them, the change in them said to be in percentage points
    assert {"Previous share of the maximum (%)",
            "Change in the share of the maximum (percentage points)"} <= set(headers)
    assert "Score (%)" not in headers
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "72")
    assert row[4] == pytest.approx(tay_ninh[2024], abs=1e-9) and row[5] == 80
    assert row[6] == pytest.approx(tay_ninh[2023], abs=1e-9)
    assert row[7] == pytest.approx(tay_ninh[2024] - tay_ninh[2023], abs=1e-9)
    about = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True)}
    assert about["Columns not in the “Province ranking” sheet"].startswith("Group and Rank in group")
    # the report's "*": the three unusual changes flagged beside the rank change, no other
    flag = headers.index("Unusual change (see the caution in the report's “Change from the previous year”)")
    assert headers[flag - 1] == "Rank change"
    flagged = {r[0] for r in sheet.iter_rows(min_row=2, values_only=True) if r[flag] == "Yes"}
    assert flagged == {"72", "60", "96"}   # Tây Ninh, Bình Thuận, Cà Mau (test_provenance's robust z)
    # the reconciliation as the PDF's audit says it: the band counts match by construction
    rec = book[sheet_name("reconciliation", "en", dataset_wording(ds))]
    head = [c.value for c in rec[1]]
    rows = [dict(zip(head, r)) for r in rec.iter_rows(min_row=2, values_only=True)]
    bands = [r for r in rows if str(r["Metric"]).startswith("Provinces in the")]
    assert [r["Metric"] for r in bands] == [f"Provinces in the {b} group" for b in
                                           ("Best performers", "High average", "Low average", "Poor performers")]
    assert {r["Matching rule"] for r in bands} == {"by construction"}
    whole = [r for r in rows if r["Metric"] in ("Rank", "In the Poor performers group")]
    assert len(whole) == 6 and {r["Matching rule"] for r in whole} == {"exact"}   # whole numbers
    assert {r["Matching rule"] for r in rows if r not in bands + whole} == {"rounded", "rounded down"}
    assert ("so do the sheets “Province ranking”, “Groups and regions”, “Leader and laggard gaps”"
            in about["The index's own scale"])


def test_the_papi_group_means_and_gaps_are_in_points_as_the_pdf(tmp_path):
    """PAPI 2024 in points of 8–80, each recomputed here from the dimension sums of
    data/papi-provinces/index_scores.csv: the mean of the 61 provinces (the PDF: 43.43), its
    sample SD, and the gap between the means of the top and bottom 16 (k = ceil(0.25 × 61);
    the PDF: 4.61)."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    points = scores[scores["year"] == 2024].groupby("unit_id")["points"].agg(["sum", "count"])
    points = points.loc[points["count"] == 8, "sum"].sort_values(ascending=False)
    assert len(points) == 61
    path = tmp_path / "papi-en.xlsx"
    write_workbook(compute_results(ds, 2024), ds, "Report", "en", path, 2024)
    book = load_workbook(path)
    groups = book[sheet_name("index_groups", "en")]
    headers = [c.value for c in groups[1]]
    everyone = next(r for r in groups.iter_rows(min_row=2, values_only=True) if r[0] == "All provinces")
    assert everyone[headers.index("Mean")] == pytest.approx(points.mean(), abs=1e-9)
    assert everyone[headers.index("Standard deviation (points)")] == pytest.approx(points.std(ddof=1), abs=1e-9)
    assert groups.cell(2, headers.index("Mean") + 1).number_format == "#,##0.00"
    gaps = book[sheet_name("gaps", "en")]
    headers = [c.value for c in gaps[1]]
    row = next(gaps.iter_rows(min_row=2, values_only=True))
    gap = points.head(16).mean() - points.tail(16).mean()
    assert row[headers.index("Gap")] == pytest.approx(gap, abs=1e-9) and round(gap, 2) == 4.61


def test_changes_show_their_sign_as_the_pdf(tmp_path):
    """The PDF prints Tây Ninh's change as +8,11 / +8.11 and its rank change +58: the workbook's
    change columns carry the sign in their format (a fall with the typographic minus)."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    path = tmp_path / "papi-vi.xlsx"
    write_workbook(compute_results(ds, 2024), ds, "Báo cáo", "vi", path, 2024)
    sheet = load_workbook(path)[sheet_name("index_units", "vi", dataset_wording(ds))]
    for header, fmt in (("Tăng/giảm (điểm)", '+#,##0.00;"−"#,##0.00;#,##0.00'),
                        ("Thay đổi thứ hạng", '+0;"−"0;0')):
        cells = [c for c in column_of(sheet, header) if c.value is not None]
        assert {c.number_format for c in cells} == {fmt}, header


def test_a_sub_dimension_blank_for_every_province_is_named_not_listed(tmp_path):
    """PAPI 2024 has no construction-permit figures (SC52, blank for all 63 provinces in
    data/papi-provinces/subcomponent_scores.csv): the workbook's sub-dimensions sheet leaves
    its 63 rows out and the About sheet names it; the CSV table keeps them."""
    source = pd.read_csv(ROOT / "data" / "papi-provinces" / "subcomponent_scores.csv", dtype={"unit_id": str})
    year = source[source["year"] == 2024]
    sc52 = year[year["component"] == "SC52"]
    assert len(sc52) == 63 and sc52["points"].isna().all()
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    results = compute_results(ds, 2024)
    assert (results["index_subcomponents"]["component"] == "SC52").sum() == 63
    path = tmp_path / "papi-en.xlsx"
    write_workbook(results, ds, "Report", "en", path, 2024)
    book = load_workbook(path)
    sheet = book[sheet_name("index_subcomponents", "en", dataset_wording(ds))]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(results["index_subcomponents"]) - 63
    assert not any(r[4] == "Construction permits" for r in rows)
    about = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True)}
    assert about["Rows not in the “Sub-dimensions” sheet"].startswith(
        "Construction permits: the source has no figure for any province in 2024")


def test_a_published_score_is_shown_with_the_decimals_it_was_released_with(tmp_path):
    """PAPI released the 2024 totals with 3 decimals (data/papi-provinces/published.csv: 47.821,
    47.126, 47.345). Printed to 2 (47.13), Bình Thuận's "truncated" rule looked wrong; the PDF's
    audit table and the workbook's reconciliation sheet now show the 3 decimals."""
    from analysis.publication.report import Report
    published = pd.read_csv(ROOT / "data" / "papi-provinces" / "published.csv", dtype=str)
    totals = published[(published["year"] == "2024") & (published["metric"] == "points")]["value"].tolist()
    assert sorted(totals) == ["47.126", "47.345", "47.821"]
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    results = compute_results(ds, 2024)
    audit = Report(ds, 2024, "en", results).render("audit").data
    assert all(f">{v}<" in audit for v in totals)
    path = tmp_path / "papi-en.xlsx"
    write_workbook(results, ds, "Report", "en", path, 2024)
    sheet = load_workbook(path)[sheet_name("reconciliation", "en")]
    shown = {f"{c.value:.3f}": c.number_format for c in column_of(sheet, "Published")
             if isinstance(c.value, float) and c.value > 40}
    assert shown == {v: "#,##0.000" for v in totals}


def test_the_rank_sensitivity_sheet_has_the_pdfs_width_of_each_range(tmp_path, papi):
    """The PDF's rank-range table lists "Width (places)" and sends the reader to this sheet for
    the full list: the sheet has it too, the 95th percentile less the 5th, beside them."""
    ds, results = papi
    sheet = workbook(tmp_path, ds, results, "en")[sheet_name("sensitivity", "en")]
    headers = [c.value for c in sheet[1]]
    width = "Width of the rank range (places): 95th − 5th percentile"
    assert headers.index(width) == headers.index("Rank, 95th percentile") + 1
    low = [c.value for c in column_of(sheet, "Rank, 5th percentile")]
    high = [c.value for c in column_of(sheet, "Rank, 95th percentile")]
    assert [c.value for c in column_of(sheet, width)] == [h - lo for lo, h in zip(low, high)]
    assert {"rank_width"}.isdisjoint(results["sensitivity"].columns)   # the CSV table is unchanged


def test_a_name_column_is_as_wide_as_its_longest_name_in_any_row(tmp_path):
    """The sub-dimensions sheet lists the provinces in id order, eight rows each: its first 500
    rows reach only the provinces with short names, and "Bà Rịa - Vũng Tàu", "TP. Hồ Chí Minh"
    were cut at width 14."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    book = workbook(tmp_path, ds, compute_results(ds, 2024), "vi", 2024)
    sheet = book[sheet_name("index_subcomponents", "vi", dataset_wording(ds))]
    for header in ("Tên (tiếng Việt)", "Tên (tiếng Anh)"):
        cells = column_of(sheet, header)
        longest = max(len(c.value) for c in cells if c.value)
        assert longest >= 17   # "Bà Rịa - Vũng Tàu"
        assert sheet.column_dimensions[cells[0].column_letter].width >= longest


def test_the_sheets_follow_the_report_and_the_about_sheet_lists_them_in_that_order(tmp_path):
    """PAPI 2024: after the About sheet, the ranking first (as the report opens), the audit's
    tables last; the About sheet lists the sheets in the same order (it was the CSV names' order,
    the gaps first)."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    path = tmp_path / "en.xlsx"
    write_workbook(compute_results(ds, 2024), ds, "PAPI 2024", "en", path, 2024)
    book = load_workbook(path)
    wording = dataset_wording(ds)
    expected = [sheet_name(n, "en", wording) for n in ("index_units", "index_groups", "index_components",
                                                       "index_subcomponents", "tests", "gaps", "sensitivity",
                                                       "sensitivity_sobol", "reconciliation", "rejected")]
    assert book.sheetnames[1:] == expected
    listed = [str(r[0]).removeprefix("Sheet “").removesuffix("”")
              for r in book.worksheets[0].iter_rows(values_only=True) if str(r[0]).startswith("Sheet “")]
    assert listed == expected
