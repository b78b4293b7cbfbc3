"""Release-grade editions (issue 12): what a communications officer checks before signing,
tested on the published files and on WeasyPrint's page layout."""
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from analysis import cli, pipeline
from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.publication import publish
from analysis.publication.i18n import dataset_wording, load_catalog, t
from analysis.publication.report import SECTIONS, Report

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """par-ministries 2023, both editions, every format: the run folder."""
    return pipeline.run(DATA / "par-ministries", 2023, out_root=tmp_path_factory.mktemp("out"), progress=False)


def edition_html(ds, year, lang, period=None) -> str:
    """The page WeasyPrint lays out (the print stylesheet around every section), built in process."""
    tables = compute_results(ds, year, period=period)
    report = Report(ds, year, lang, tables, period=period)
    body = report.title_page().data + report.contents().data + "".join(report.render(s).data for s in SECTIONS)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><style>'
            f'{publish.css(lang, bool(ds.config.synthetic), True, bool(report.draft))}</style></head>'
            f"<body><main>{body}</main></body></html>")


@pytest.fixture(scope="module")
def layouts():
    """WeasyPrint's layout of the VI editions of demo-mps 2025 and papi-provinces 2016."""
    from weasyprint import HTML
    return {name: HTML(string=edition_html(load_dataset(DATA / name), year, "vi")).render()
            for name, year in (("demo-mps", 2025), ("papi-provinces", 2016))}


# --- no path of the machine in anything published --------------------------------------------
ABSOLUTE = re.compile(r"file:/|(?<![\w.])/(?:tmp|home|work|root|Users|var|private)/|[A-Za-z]:\\\\|\.partial-")


def test_no_absolute_path_file_uri_or_staging_name_in_any_published_file(published):
    checked = 0
    for path in sorted(published.rglob("*")):
        if not path.is_file():  # the manifest too: it names the dataset relative to the run
            continue
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            text = "\n".join(page.extract_text() for page in reader.pages)
            uris = [str(a.get_object().get("/A", {}).get("/URI", "")) for page in reader.pages
                    for a in page.get("/Annots") or []]
            text += "\n".join(uris)
        elif path.suffix == ".xlsx":
            import zipfile
            with zipfile.ZipFile(path) as z:
                text = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        assert not ABSOLUTE.search(text), f"{path.relative_to(published)}: {ABSOLUTE.search(text).group(0)!r}"
        if path.name != "manifest.json":  # the audit record names the dataset from the run folder
            # a relative path out of the run folder (<lang>/ is 3 levels down) names machine folders
            assert not re.search(r"(\.\./){3,}", text), f"{path.relative_to(published)} climbs out of the run"
        checked += 1
    assert checked >= 10


def test_the_pdf_is_tagged_and_carries_its_metadata(published):
    reader = PdfReader(published / "vi" / "report.pdf")
    meta = reader.metadata
    assert meta.title.startswith("Báo cáo Chỉ số cải cách hành chính (PAR INDEX)")
    assert meta.author == "Nhóm phát triển PAR Reports"      # who prepared it, not the Ministry
    assert meta.subject and "2023" in meta.subject
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "vi"


def test_the_cover_has_publisher_number_citation_contact_and_licence(published):
    text = PdfReader(published / "en" / "report.pdf").pages[0].extract_text()
    for expected in ("Index by", "Ministry of Home Affairs", "Prepared by", "PARINDEX-2023-EN",
                     "Cite as: PAR Reports developers", "Index: Ministry of Home Affairs",
                     "About the source data: https://moha.gov.vn", "Terms of use:"):
        assert expected in text, expected


# --- words, not codes ---------------------------------------------------------------------------
def test_no_catalog_key_or_code_in_the_vietnamese_text(published):
    text = "\n".join(p.extract_text() for p in PdfReader(published / "vi" / "report.pdf").pages)
    text += (published / "vi" / "report.html").read_text(encoding="utf-8").split("<main>")[1]
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", text, flags=re.S))
    keys = [k for k in load_catalog() if k in visible]
    assert keys == []
    codes = {c for c in re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b\w+_count:", visible)}
    files = {c for c in codes if re.search(re.escape(c) + r"\.(csv|yaml|json|parquet)", visible)}
    assert codes - files == set()


def test_names_not_ids_in_the_gap_section():
    ds = load_dataset(DATA / "papi-provinces")
    html = Report(ds, 2016, "vi", compute_results(ds, 2016)).render("gaps").data
    assert "địa phương dẫn đầu: Cần Thơ" in html and "dẫn đầu: 92" not in html
    assert "Chỉ số cải cách hành chính" not in html  # PAPI is named PAPI


def test_headline_on_the_index_own_scale():
    ds = load_dataset(DATA / "papi-provinces")
    tables = compute_results(ds, 2016)
    vi, en = (Report(ds, 2016, lang, tables) for lang in ("vi", "en"))
    assert "Cần Thơ là địa phương dẫn đầu với kết quả 39,57 điểm." in vi.findings()
    assert "Can Tho ranks first with 39.57 points." in en.findings()
    assert "39,57 điểm" in vi.render("summary").data and "65,95%" not in vi.render("summary").data


class Tables(HTMLParser):
    """Every table of a page as (headers of its thead, rows of cell texts of its tbody)."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell, self.head = [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "thead":
            self.head = True
        elif tag == "tr" and not self.head:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:   # a header's no-break spaces (formatting.header_lines) read as spaces
            self.cell += data.replace("\u00a0", " ")

    def handle_endtag(self, tag):
        if tag == "thead":
            self.head = False
        elif tag in ("td", "th") and self.cell is not None:
            headers, rows = self.tables[-1]
            (headers if self.head else rows[-1]).append(self.cell.strip())
            self.cell = None


@pytest.mark.parametrize("name,year,period", [("par-ministries", 2023, None), ("demo-mps", 2025, None),
                                              ("demo-dossiers", 2025, "2025-07")])
def test_ranks_and_counts_are_printed_as_integers(name, year, period):
    ds = load_dataset(DATA / name)
    tables = compute_results(ds, year, period=period)
    report = Report(ds, year, "vi", tables, period=period)
    parser = Tables()
    parser.feed("".join(report.render(s).data for s in SECTIONS))
    integer_headers = {t(k, "vi", dataset_wording(ds)) for k in ("col.rank", "col.n_units", "col.rows_rejected", "col.n_ballots",
                                                         "col.n_counted", "col.n_rejected", "col.flagged",
                                                         "col.n_valid", "col.k", "col.row")}
    whole = re.compile(r"^([+−]?\d{1,3}(\.\d{3})*|–|\d+/\d+)?$")
    seen = 0
    for headers, rows in parser.tables:
        for i, header in enumerate(headers):
            if header in integer_headers:
                for row in rows:
                    if i < len(row) and row[i]:
                        assert whole.match(row[i]), f"{header}: {row[i]!r}"
                        seen += 1
    rec = tables.get("reconciliation")
    if rec is not None and len(rec):  # counts and ranks of the reconciliation: no decimals either
        for row in next(r for h, r in parser.tables if load_catalog()["col.published"]["vi"] in h):
            if row[2] in (t("col.rank", "vi"), t("col.n_units", "vi", dataset_wording(ds))):
                assert whole.match(row[3]) and whole.match(row[4]), row
    assert seen > 0


# --- the page layout ------------------------------------------------------------------------------
def boxes(page):
    def walk(box):
        yield box
        for child in getattr(box, "children", []):
            yield from walk(child)
    return walk(page._page_box)


CONTENT = {"p", "table", "figure", "ul", "ol", "dl", "h1", "h2", "h3", "li", "tr", "img", "caption"}


@pytest.mark.parametrize("name", ["demo-mps", "papi-provinces"])
def test_no_heading_is_the_last_block_of_a_page(layouts, name):
    for number, page in enumerate(layouts[name].pages, 1):
        blocks = [b for b in boxes(page) if getattr(b, "element_tag", None) in CONTENT
                  and b.height and b.height > 0]
        if not blocks:
            continue
        last = max(blocks, key=lambda b: (b.position_y + b.height, b.element_tag not in ("h2", "h3")))
        assert last.element_tag not in ("h2", "h3"), f"{name} page {number}: a heading ends the page"


@pytest.mark.parametrize("name", ["demo-mps", "papi-provinces"])
def test_every_figure_is_inside_the_page_box(layouts, name):
    figures = 0
    for number, page in enumerate(layouts[name].pages, 1):
        box = page._page_box
        left, top = box.content_box_x(), box.content_box_y()
        for b in boxes(page):
            if getattr(b, "element_tag", None) == "img":
                figures += 1
                assert b.position_x >= left - 1 and b.position_y >= top - 1, f"page {number}"
                assert b.position_x + b.width <= left + box.width + 1, f"{name} page {number}: too wide"
                assert b.position_y + b.height <= top + box.height + 1, f"{name} page {number}: runs off the page"
    assert figures >= 4


# --- draft until it can be signed -------------------------------------------------------------------
def test_an_unconfirmed_mapping_makes_a_draft_and_final_refuses_it(tmp_path, capsys):
    code = cli.main(["run", "--data", str(DATA / "demo-dossiers"), "--period", "2025-07", "--out",
                     str(tmp_path), "--final", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "draft" in err and "confirmed: false" in err and "Traceback" not in err
    assert not (tmp_path / "demo-dossiers" / "2025-07").exists()
    ds = load_dataset(DATA / "demo-dossiers")
    report = Report(ds, 2025, "vi", compute_results(ds, 2025, period="2025-07"), period="2025-07")
    assert "DỰ THẢO" in report.title_page().data
    assert "DỰ THẢO" in publish.css("vi", True, True, draft=True)


def test_a_figure_that_does_not_reconcile_is_named_by_final(tmp_path, capsys):
    folder = tmp_path / "data"
    shutil.copytree(DATA / "par-ministries", folder)
    published = folder / "published.csv"
    published.write_text(published.read_text(encoding="utf-8").replace(",n_units,17,", ",n_units,18,"),
                         encoding="utf-8")
    code = cli.main(["run", "--data", str(folder), "--year", "2023", "--out", str(tmp_path / "out"),
                     "--final", "--quiet", "--format", ""])
    err = capsys.readouterr().err
    assert code == 1 and "published n_units of all does not reconcile: published 18" in err, err


def test_papi_2023_press_figures_reconcile_and_2021_names_its_one_mismatch():
    """The press figures of PAPI 2023 all reconcile, five of the totals only truncated: Thái
    Nguyên's eight dimensions sum to 45.7875, which the press printed as 45.78. Bà Rịa - Vũng
    Tàu's 2021 total as its newspaper printed it, 40.62, is 40.6146 here. The 2021 edition is
    therefore a draft, and its notice counts one figure (in the singular)."""
    ds = load_dataset(DATA / "papi-provinces")
    rec = compute_results(ds, 2023)["reconciliation"].set_index(["key", "metric"])
    assert len(rec) == 21 and rec["matches"].astype(str).str.lower().eq("true").all()
    scores = pd.read_csv(DATA / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    dims = scores[(scores["year"] == 2023) & (scores["unit_id"] == "19")]["points"]
    assert len(dims) == 8 and round(dims.sum(), 4) == 45.7875
    assert rec.loc[("19", "points"), "rule"] == "truncate"
    assert (rec["rule"] == "truncate").sum() == 5
    tables = compute_results(ds, 2021)
    row = tables["reconciliation"].set_index(["key", "metric"]).loc[("77", "points")]
    assert str(row["matches"]).lower() == "false" and row["computed"] == pytest.approx(40.6146)
    en = Report(ds, 2021, "en", tables).title_page().data
    vi = Report(ds, 2021, "vi", tables).title_page().data
    assert "DRAFT — not yet fit for release: 1 published figure is not reproduced" in en
    assert "DỰ THẢO — chưa đủ điều kiện phát hành chính thức: 1 số liệu đã công bố" in vi


def test_a_signed_edition_passes_final(tmp_path):
    ds = load_dataset(DATA / "papi-provinces")
    from analysis.audit.release import draft_reasons
    assert draft_reasons(ds, compute_results(ds, 2016)) == []


# --- the HTML at phone width -----------------------------------------------------------------------
def test_the_html_does_not_scroll_sideways_at_390_px(published, tmp_path):
    """The VI edition in a 390 px wide frame (headless Chromium's window is at least 500 px wide):
    the page must not be wider than the frame; wide tables scroll inside their own box, and so
    do the charts, drawn at least 36 rem wide (480 px: 1 rem is 10 pt) so that their labels
    stay readable."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is installed by `make test` (see the README)"
    edition = tmp_path / "edition.html"
    html = (published / "vi" / "report.html").read_text(encoding="utf-8")
    probe = ("<script>window.addEventListener('load', () => parent.postMessage("
             "document.documentElement.scrollWidth + ',' + document.documentElement.clientWidth + ',' + "
             "Math.round(document.querySelector('figure:not(.narrow) img').getBoundingClientRect().width) + ',' + "
             "Math.round(36 * parseFloat(getComputedStyle(document.documentElement).fontSize)), '*'));"
             "</script>")
    edition.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
    frame = tmp_path / "frame.html"
    frame.write_text('<!DOCTYPE html><html><head><title>waiting</title></head><body style="margin:0">'
                     f'<iframe src="{edition.name}" style="width:390px;height:800px;border:0"></iframe>'
                     "<script>window.addEventListener('message', e => { document.title = 'W=' + e.data; });"
                     "</script></body></html>", encoding="utf-8")
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--window-size=800,900",
                          "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
                          frame.as_uri()], check=True, capture_output=True, text=True, timeout=120).stdout
    scroll, width, chart, least = map(int, re.search(r"<title>W=(\d+),(\d+),(\d+),(\d+)</title>", dom).groups())
    assert 360 <= width <= 390 and scroll <= width, f"the page is {scroll} px wide in a {width} px frame"
    assert chart >= least > width, f"a chart is {chart} px wide on a {width} px screen"


# --- compact appendices -------------------------------------------------------------------------
def test_the_directory_names_each_group_once_and_drops_empty_columns():
    """demo-mps: one table per group captioned by its name, never the name on every row (the
    old directory ran 6 pages, the group's name on 3 lines in each row); the department groups
    have no region, so no region column. PAPI: one group, no group column, points on its scale."""
    ds = load_dataset(DATA / "demo-mps")
    tables = compute_results(ds, 2025)
    html = Report(ds, 2025, "vi", tables).render("directory").data
    parser = Tables()
    parser.feed(html)
    groups = dict(zip(ds.groups["group"], ds.groups["label_vi"]))
    captions = re.findall(r"<caption>([^<]*)</caption>", html)
    assert captions == [groups[g] for g in ("no_procedures", "procedures", "provincial")]
    assert sum(len(rows) for _, rows in parser.tables) == len(tables["index_units"]) == 99
    cells = {c for _, rows in parser.tables for row in rows for c in row}
    assert not cells & set(groups.values())
    assert [h for h, _ in parser.tables][0] == ["Tên đơn vị", "Chỉ số (%)", "Xếp hạng"]
    assert "Vùng" in parser.tables[2][0]
    papi = load_dataset(DATA / "papi-provinces")
    parser = Tables()
    parser.feed(Report(papi, 2016, "vi", compute_results(papi, 2016)).render("directory").data)
    (headers, rows), = parser.tables
    assert headers == ["Tên địa phương", "Vùng", "Điểm PAPI (6–60)", "Xếp hạng"]   # PAPI's word
    assert ["Cần Thơ", "Đồng bằng sông Cửu Long", "39,57", "1"] in rows


def page_of(layout, tag, text):
    """The number of the first page holding an element `tag` whose text starts with `text`."""
    for number, page in enumerate(layout.pages, 1):
        for b in boxes(page):
            element = getattr(b, "element", None)
            if getattr(b, "element_tag", None) == tag and \
                    "".join(element.itertext()).replace("\u00a0", " ").strip().startswith(text):
                return number
    raise AssertionError(f"no {tag} {text!r}")


def test_the_regions_chart_and_its_table_share_a_page(layouts):
    """demo-mps: the regions' dot chart, its short table and the tile map had a page each, the
    first two near blank; now the chart and the table share the section's first page."""
    layout = layouts["demo-mps"]
    heading = page_of(layout, "h2", t("section.regions", "vi"))
    assert page_of(layout, "th", t("col.region_leader", "vi")) == heading
    assert page_of(layout, "figcaption", "Hình 4.") == heading + 1  # the tile map, with its key


def test_the_ranking_table_follows_its_chart_on_the_same_page(layouts):
    """PAPI 2016 (63 provinces, the chart shows the top and bottom ten): the table was sent to a
    page of its own, two thirds of the chart's page left blank; now it starts under the chart."""
    layout = layouts["papi-provinces"]
    wording = dataset_wording(load_dataset(DATA / "papi-provinces"))
    heading = page_of(layout, "h2", t("section.ranking", "vi", wording))
    caption = t("table.ranking_caption", "vi", wording, year=2016)
    assert page_of(layout, "caption", caption) == heading


def test_the_slope_chart_and_its_table_speak_one_unit():
    """PAPI 2016: the slope chart labelled "Quảng Ngãi (61,3)" (percent) over a table giving
    36,79 (points). Every labelled end of the chart is now the table's value for that unit."""
    import base64
    import html as html_module
    ds = load_dataset(DATA / "papi-provinces")
    page = Report(ds, 2016, "vi", compute_results(ds, 2016)).render("change").data
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)).decode()
    labels = {name.removesuffix(" *"): value for name, value in   # * unusual change
              re.findall(r">([^<>]+?) \((\d+,\d+)\)</text>", html_module.unescape(svg))}
    parser = Tables()
    parser.feed(page)
    headers, rows = next(t for t in parser.tables if "2016" in t[0])
    shown = {row[0].removesuffix(" *"): row[headers.index("2016")] for row in rows}   # * unusual change
    assert len(labels) >= 4 and set(labels) <= set(shown)
    assert all(shown[name] == value for name, value in labels.items()), (labels, shown)


def test_a_year_without_published_figures_says_so():
    """PAPI 2011: published.csv has no 2011 figure; the audit said nothing, as if the year had
    been checked. It now says there was nothing to reconcile."""
    ds = load_dataset(DATA / "papi-provinces")
    tables = compute_results(ds, 2011)
    assert tables["reconciliation"].empty
    vi = Report(ds, 2011, "vi", tables).render("audit").data
    en = Report(ds, 2011, "en", tables).render("audit").data
    assert "không có số liệu chính thức đã công bố của năm 2011" in vi
    assert "no officially published figures for 2011" in en


def test_maxima_are_printed_as_the_method_states_them():
    """PAPI's dimensions are worth 10 points each: "10", not "10,00"; PAR INDEX parts keep
    their decimals (68,50)."""
    papi = load_dataset(DATA / "papi-provinces")
    parser = Tables()
    parser.feed(Report(papi, 2016, "vi", compute_results(papi, 2016)).render("components").data)
    assert {row[1] for row in parser.tables[0][1]} == {"10"}
    ministries = load_dataset(DATA / "par-ministries")
    parser = Tables()
    parser.feed(Report(ministries, 2023, "vi", compute_results(ministries, 2023)).render("components").data)
    assert [row[1] for row in parser.tables[0][1]] == ["68,50", "31,50"]
