"""The result tables as one workbook per edition, for re-use in releases (openpyxl).

One sheet per table, named in the edition's language (the About sheet names the CSV file of
each), headers and coded values (regions, groups, bands, metrics, tests, yes/no …) in that
language, the unit's name beside every unit id, no column the data leaves empty nor the rows of
a sub-component the source leaves blank for every unit that year, which the About sheet names
(the CSV keeps them all), the units' ranking in rank order (the CSV by unit id), the Vietnamese band once in the
Vietnamese edition. Numbers are stored as numbers with a real number format, one percent
convention throughout: a percent is stored as a proportion (59.98% as 0.5998) with the format
0.00%, a difference of percents in percentage points (0.00); where the index has its own scale
(PAPI), the ranking (led by points, the previous year's and the change), the group means and
the gaps are in its points instead, as the PDF gives them (`IN_OWN_POINTS`); changes show
their sign; whole numbers 0 or #,##0; p-values 0.000 (below 0.001 shown "<0.001", "<0,001" in
Vietnamese, the value kept). The tests sheet is the
PDF's tests and spread tables: a column says which rows are tests and which measures of spread,
levels and changes of the score are in points of the index's own scale where it has one (PAPI),
to the PDF's decimals (`change_tests.decimals`), and every numeric header says its unit. Every
sheet has its header frozen (and its first columns up to the units' names), an autofilter, and prints on A4 fitted to the page width (a very
wide sheet to a few pages across, never below 70%) with the header repeated; the workbook
carries its title, subject, author, language and keywords. Text a spreadsheet would run as a
formula is neutralised. The same tables give the same bytes: the workbook's created and
modified dates and every zip entry's time are the end of the period reported (`period_end`), not
the time of the run.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from calendar import monthrange
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from analysis.indices.integrity import shown_facts
from analysis.indices.tables import neutralise
from analysis.inputs.readers import visible
from analysis.audit.reconcile import published_decimals
from analysis.publication import change_tests
from analysis.publication.cover import (WHOLE_METRICS, compared_year, flagged_changes, is_group,
                                        publisher_parts, reconciled_rules, report_author)
from analysis.publication.formatting import edition_title, fmt_number, mid_sentence
from analysis.publication.i18n import dataset_wording, load_catalog, t

# Columns in percent (0–100) in the result tables, and columns holding proportions (0–1): both
# are written as proportions with PERCENT. Service-index columns rate_… and national_… are
# proportions too (national_average is in points). Differences of proportions are written in percentage points (× 100).
IN_PERCENT = {"index_units": {"score", "score_prev", "shared_score", "shared_score_prev"}, "index_groups": {"mean", "median", "min", "max"},
              "index_components": {"subindex"},
              "gaps": {"leader_value", "laggard_value", "top_mean", "bottom_mean"}}
PROPORTIONS = {"satisfaction_units": {"p", "ci_low", "ci_high", "p_balanced"},
               "satisfaction_yoy": {"p", "p_prev"}, "satisfaction_elements": {"p"},
               "satisfaction_questions": {"p"}, "gaps": {"i2"},
               "funnel": {"p", "p0", "lower95", "upper95", "lower998", "upper998", "lower998_adj",
                          "upper998_adj", "tau"},
               "integrity": {"p_published", "p_without"}}
PROPORTION_DIFFERENCES = {"satisfaction_yoy": {"diff", "ci_low", "ci_high", "ci_low_fcr", "ci_high_fcr"}}
P_VALUES = {"p_value", "p_adjusted", "welch_p", "mannwhitney_p", "gap_change_p", "phi_p", "q_p"}
YES_NO = {"matches", "significant", "flagged", "like_for_like", "eligible", "gap_change_p_below",
          "parts_agree", "unusual_change"}
PLAIN_WHOLE = {"year", "prev_year", "row", "k"}  # whole numbers written without grouping
SIGNED = {"change", "change_points", "rank_change", "gap_change", "diff"}  # +8.11, −0.22, as the PDF

# Where the index has its own scale (PAPI), these columns are given in its points, as the PDF
# gives them (the percent × points per percent), named "<column>:points"; the other sheets keep
# the percent of the maximum. Gaps only when every row is the index's (not satisfaction's).
IN_OWN_POINTS = {"index_groups": ("mean", "median", "sd", "min", "max"),
                 "gaps": ("leader_value", "laggard_value", "top_mean", "bottom_mean", "gap",
                          "gap_ci_low", "gap_ci_high", "gap_prev", "gap_change", "gap_change_ci_low",
                          "gap_change_ci_high", "gap_fixed_ci_low", "gap_fixed_ci_high")}

PERCENT = "0.00%"
POINTS = "#,##0.00"
COUNT = "#,##0"
WHOLE = "0"
# the text shown below 0.001 is written as the edition writes numbers (the condition and the
# digits are in the format's own notation, which the reader's spreadsheet localises)
P_VALUE_FORMAT = {"en": '[<0.001]"<0.001";0.000', "vi": '[<0.001]"<0,001";0.000'}

# A unit id column and the header key of the name column put beside it.
# the ranking of an index with its own scale (PAPI): its percents are of the maximum, named
# as the PDF names them, beside the points
SHARE_OF_MAX = {"score": "col.share_of_max_pct", "score_prev": "col.share_of_max_prev",
                "change": "col.change_share"}
NAMES_WITHIN = 3  # a sheet whose units' names are among its first columns keeps them in view
NAME_BESIDE = {"unit_id": "col.name", "leader_unit": "col.leader_name", "laggard_unit": "col.laggard_name"}
# Columns whose codes are catalog keys under a prefix ("channel" paper → channel.paper).
CATALOG_CODES = {"test": "test.", "outside": "word.", "outside_adj": "word.", "channel": "channel.", "check": "check.",
                 "reason": "reason.", "basis": "basis.", "prev_basis": "basis.", "scope": "scope.",
                 "rule": "rule.", "kind": "test.kind_"}


def _header(column: str, lang: str, labels: dict[str, str], table: str = "",
            wording: dict | None = None, **fields) -> str:
    """The column's header: the table's own (`col.<table>.<column>`, where a column name means
    something else in that table, with `fields`) or the column's; a service-index column named
    after an indicator or a group of the dataset's mapping (rate_…, national_…, points_…) takes
    that label. A column given in points ("sd:points", `IN_OWN_POINTS`) takes the table's
    `<column>_points` header where the catalog has one (a header that names its unit)."""
    column, _, unit = column.partition(":")
    if unit == "points" and f"col.{table}.{column}_points" in load_catalog():
        column += "_points"
    kind, _, code = column.partition("_")
    if kind in ("rate", "national", "points") and code in labels:
        return t(f"col.{kind}_of", lang, wording, label=labels[code])
    own = f"col.{table}.{column}"
    return t(own if own in load_catalog() else f"col.{column}", lang, wording, **fields)


# The sheets in the order the report's sections show the tables (report.SECTIONS): the ranking
# first, the audit's tables last; a table not listed here follows, by name.
SHEET_ORDER = ("service_index", "index_units", "index_groups", "index_components", "index_subcomponents",
               "tests", "satisfaction_units", "satisfaction_yoy", "satisfaction_questions",
               "satisfaction_elements", "ballot_channels", "gaps", "sensitivity", "sensitivity_sobol",
               "rank_intervals", "funnel", "integrity", "integrity_ballots", "reconciliation", "rejected",
               "units_without_data")


def sheet_place(table: str) -> tuple[int, str]:
    """Where `table`'s sheet goes in the workbook (`SHEET_ORDER`)."""
    return (SHEET_ORDER.index(table) if table in SHEET_ORDER else len(SHEET_ORDER), table)


def sheet_name(table: str, lang: str, wording: dict | None = None) -> str:
    """The sheet of `table` in the edition's language (at most 31 characters; in the dataset's
    `wording` where it has its own), or the table's own name for a table the catalog does not name."""
    key = f"sheet.{table}"
    return (t(key, lang, wording) if key in load_catalog() else table)[:31]


def _kind(table: str, column: str) -> str:
    """How a column is stored: percent, proportion, pp (difference of proportions) or as it is."""
    if column in IN_PERCENT.get(table, ()):
        return "percent"
    if column in PROPORTION_DIFFERENCES.get(table, ()):
        return "pp"
    if column in PROPORTIONS.get(table, ()) or (table == "service_index" and column != "national_average"
                                                and column.partition("_")[0] in ("rate", "national")):
        return "proportion"
    return ""


class Labels:
    """Names and labels of one edition: units, groups, regions, bands, components, survey."""

    def __init__(self, ds, lang: str, year: int | None = None):
        self.lang = lang
        self.units = ds.units.set_index("unit_id")[f"name_{lang}"].to_dict()
        self.codes: dict[str, dict[str, str]] = {}
        for column, frame in (("group", ds.groups), ("region", ds.regions)):
            if frame is not None:
                self.codes[column] = frame.set_index(column)[f"label_{lang}"].to_dict()
        cfg = ds.config
        self.codes["band"] = {b["label_en"]: b[f"label_{lang}"] for b in cfg.bands}
        self.group_bands = {b["label_en"] for b in cfg.bands if is_group(b["label_vi"])}
        # every method version's names, the reported year's own last (PAPI renamed its
        # transparency dimension in 2018: a 2016 workbook says "Công khai, minh bạch")
        versions = cfg.versions + ([cfg.method(year)] if year is not None else [])
        self.codes["component"] = {c["code"]: c[f"label_{lang}"] for version in versions
                                   for c in version["components"] + (version.get("subcomponents") or [])}
        self.codes["parent"] = self.codes["component"]
        survey = cfg.raw.get("survey") or {}
        for column in ("element", "question"):
            self.codes[column] = {e["code"]: e[f"label_{lang}"] for e in survey.get(column + "s") or []}
        self.catalog = load_catalog()
        self.wording = dataset_wording(ds)
        self.index_name = cfg.raw.get(f"index_name_{lang}")
        published = ds.published  # a note on a published figure in the edition's language
        self.notes = ({} if published is None or lang == "en" or f"note_{lang}" not in published else
                      {n: v for n, v in zip(published["note"], published[f"note_{lang}"]) if n and v})

    def word(self, key: str, fallback: str, **fields) -> str:
        return t(key, self.lang, self.wording, **fields) if key in self.catalog else fallback

    def metric(self, code: str, reconciled: bool = False) -> str:
        """A metric code ("index", "satisfaction"), or of a reconciled figure ("rank", "points",
        "band_count:<band>", "in_band:<band>")."""
        if not reconciled:
            if code == "index" and self.index_name:  # the index by its own name (PAPI), as the report
                return self.index_name
            return self.word(f"metric.{code}", code)
        kind, _, band = code.partition(":")
        if band:   # as the PDF's audit names it: PAPI's bands are groups ("thuộc Nhóm …")
            group = "_group" if band in self.group_bands else ""
            return self.word(f"recon.{kind}{group}", code, band=self.codes["band"].get(band, band))
        return self.word(f"recon.{kind}", code)

    def unit(self, unit_id, whole: bool = False) -> str:
        """The unit's name ("" for an id the dataset does not know); with `whole`, a row without
        an id is the row of all units."""
        if pd.isna(unit_id) or unit_id == "":
            return t("scope.all", self.lang, self.wording) if whole else ""
        return self.units.get(str(unit_id), "")

    def key(self, scope: str, key: str) -> str:
        """The name of a group-means or reconciliation key: a unit, a group or a region."""
        if scope == "unit":
            return self.unit(key) or key
        return self.codes.get(scope, {}).get(key, key)

    def value(self, column: str, value, table: str = ""):
        """`value` of `column` (of `table`) in the edition's words, or as it is."""
        if isinstance(value, bool) or (column in YES_NO and str(value).lower() in ("true", "false", "1", "0")):
            return self.word("word.yes" if str(value).lower() in ("true", "1") else "word.no", str(value))
        if not isinstance(value, str) or not value:
            return value
        if column == "metric":
            return self.metric(value, reconciled=table == "reconciliation")
        if column == "note" and table == "reconciliation":
            return self.notes.get(value, value)
        if column == "factor":  # an assumption of the sensitivity analysis: a weight or the aggregation
            kind, _, code = value.partition(":")
            weight = self.word("sensitivity.factor_weight", value, label=self.codes["component"].get(code, code))
            return weight if kind == "weight" else self.word(f"sensitivity.factor_{value}", value)
        if column in CATALOG_CODES:
            return self.word(CATALOG_CODES[column] + value, value)
        if column in ("former_units", "prev_former_units"):
            return "; ".join(self.units.get(u, u) for u in value.split(";"))
        return self.codes.get(column, {}).get(value, value)


def edition_frame(table: str, frame: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """The table as the edition's sheet shows it: coded values in words, a name column after
    each unit id, percents as proportions, differences of proportions in percentage points."""
    out = frame.copy()
    for column in frame.columns:
        kind = _kind(table, column)
        if kind == "percent":
            out[column] = frame[column] / 100
        elif kind == "pp":
            out[column] = frame[column] * 100
        elif table == "integrity" and column == "evidence":   # the sentence in the edition's language
            out[column] = [t(f"evidence.{c}", labels.lang, labels.wording, **shown_facts(json.loads(f), labels.lang))
                           for c, f in zip(frame["check"], frame["facts"])]
        elif table in ("index_groups", "reconciliation") and column == "key":
            out[column] = [labels.key(s, k) if isinstance(k, str) else k
                           for s, k in zip(frame["scope"], frame["key"])]
        elif not pd.api.types.is_numeric_dtype(frame[column]) or column in YES_NO:
            out[column] = [labels.value(column, v, table) for v in frame[column].tolist()]
    has_names = f"name_{labels.lang}" in frame.columns
    for column in [c for c in NAME_BESIDE if c in frame.columns]:
        if column == "unit_id" and has_names:
            continue
        at = out.columns.get_loc(column) + 1
        out.insert(at, f"{column}:name", [labels.unit(u, whole=table == "satisfaction_yoy")
                                          for u in frame[column].tolist()])
    return out


def _number_format(table: str, column: str, values: pd.Series, lang: str = "en") -> str | None:
    """The cell format of `column`; a change (`SIGNED`) shows its sign, a falling one with the
    typographic minus the PDF prints."""
    fmt = _unsigned_format(table, column, values, lang)
    if column.partition(":")[0] in SIGNED and fmt in (POINTS, WHOLE, COUNT):
        return f'+{fmt};"−"{fmt};{fmt}'
    return fmt


def _unsigned_format(table: str, column: str, values: pd.Series, lang: str) -> str | None:
    kind = _kind(table, column)
    if kind in ("percent", "proportion"):
        return PERCENT
    if kind == "pp":
        return POINTS
    if column in P_VALUES:
        return P_VALUE_FORMAT[lang]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    finite = values.dropna()
    if len(finite) and (finite == finite.round()).all():
        return WHOLE if column in PLAIN_WHOLE or column.startswith("rank") else COUNT
    return POINTS


LINE_PT = 15  # height of one line of 11-pt text, in points


def _lines(text: str, width: float) -> int:
    """Lines `text` takes when wrapped in a column `width` characters wide."""
    return max(1, -(-len(str(text)) // max(1, int(width) - 2)))


def _cell(value):
    """A value as the sheet holds it: None for a missing one, text made visible and neutralised."""
    if pd.isna(value):
        return None
    if isinstance(value, str):
        return neutralise(visible(value))
    return value.item() if hasattr(value, "item") else value


def _fill(sheet, frame: pd.DataFrame, headers: list[str], formats: list[str | None]) -> None:
    """Header (bold, wrapped, its row as tall as its longest header) and rows; number formats;
    columns as wide as their longest text in any row (numbers 12), at most 60."""
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    columns = [[_cell(v) for v in frame[column].tolist()] for column in frame.columns]
    for row in zip(*columns):
        sheet.append(row)
    widths = []
    for index, (column, fmt) in enumerate(zip(frame.columns, formats), start=1):
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
        text = frame[column].dropna().astype(str)
        body = 12 if pd.api.types.is_numeric_dtype(frame[column]) else int(text.str.len().max()) if len(text) else 0
        width = min(max(10, body + 2, min(len(str(headers[index - 1])), 12) + 2), 60)
        sheet.column_dimensions[get_column_letter(index)].width = width
        widths.append(width)
    sheet.row_dimensions[1].height = LINE_PT * max(map(_lines, headers, widths), default=1)
    names = [i for i, c in enumerate(frame.columns[:NAMES_WITHIN], start=1)
             if c.endswith(":name") or c.startswith("name_")]
    # the header, and the columns up to the units' names (both languages'), stay in view as the
    # reader scrolls (and are printed on every page across)
    sheet.freeze_panes = f"{get_column_letter(names[-1] + 1)}2" if names else "A2"
    if names:
        sheet.print_title_cols = f"A:{get_column_letter(names[-1])}"


def _tests_sheet(tests: pd.DataFrame, factor: float) -> pd.DataFrame:
    """tests.csv as the PDF shows it (`change_tests`): the index's levels and changes in points
    of its own scale (`factor` points per percent; 1: percent), per metric the tests, then the
    measures of spread, a first column `kind` saying which."""
    out = change_tests.ordered(change_tests.in_points(tests, factor))
    return pd.concat([out["test"].map(change_tests.kind).rename("kind"), out], axis=1)


def _points_first(units: pd.DataFrame, factor: float) -> pd.DataFrame:
    """index_units led by the points of the index's own scale, as the PDF's ranking table is:
    the points, their maximum, the previous year's score and the change in points (`factor`
    points per percent; the previous year converted as the PDF converts it), then the percents."""
    out = units.assign(points_prev=units["score_prev"] * factor,
                       change_points=units["change"] * factor)
    lead = ["points", "max_points", "points_prev", "change_points"]
    rest = [c for c in out.columns if c not in lead]
    at = rest.index("score")
    return out[rest[:at] + lead + rest[at:]]


def _own_points(name: str, table: pd.DataFrame, factor: float) -> pd.DataFrame | None:
    """`table` with its `IN_OWN_POINTS` columns in points (× `factor`) as "<column>:points";
    None when it has rows of another metric than the index (they stay in percent)."""
    if "metric" in table and set(table["metric"]) != {"index"}:
        return None
    columns = [c for c in IN_OWN_POINTS.get(name, ()) if c in table]
    return table.assign(**{c: table[c] * factor for c in columns}).rename(
        columns={c: f"{c}:points" for c in columns})


def _tests_unit(ds, lang: str, scale: dict | None, factor: float, metrics: set[str]) -> str:
    """The unit of the tests sheet's levels and changes of the score, in words: points of the
    index's own scale (`scale`, when `factor` ≠ 1), the shared components' rows (across a method
    break) in percentage points; else percentage points."""
    if factor == 1.0:
        return t("xlsx.unit_pp", lang)
    bound = {k: fmt_number(scale[k], lang, 0 if float(scale[k]).is_integer() else 2) for k in ("min", "max")}
    points = t("xlsx.unit_points", lang, low=bound["min"], high=bound["max"])
    if "index_shared" not in metrics:
        return points
    words = Labels(ds, lang)
    return t("xlsx.unit_points_and_pp", lang, points=points, index=words.metric("index"),
             shared=words.metric("index_shared"))


def _whole_statistics(sheet, columns: list[str], tests: list[str]) -> None:
    """Tests' statistics and effects to the PDF's decimals (`change_tests.decimals`; `tests`:
    each row's test); a whole statistic (Wilcoxon's rank sum) as a whole number, as the PDF
    prints it."""
    for column in ("statistic", "effect", "ci_low", "ci_high"):
        if column in columns:
            cells = sheet.iter_rows(min_row=2, min_col=columns.index(column) + 1,
                                    max_col=columns.index(column) + 1)
            for (cell,), test in zip(cells, tests):
                whole = column == "statistic" and isinstance(cell.value, (int, float)) \
                    and float(cell.value).is_integer()
                decimals = change_tests.decimals(test, column)
                cell.number_format = COUNT if whole else "#,##0." + "0" * decimals


def _whole_figures(sheet, table: pd.DataFrame, columns: list[str]) -> None:
    """Reconciled ranks and counts shown as whole numbers (the column also holds scores); a
    published score with the decimals it was released with (`reconcile.published_decimals`)."""
    for row, (metric, published) in enumerate(zip(table["metric"], table["published"]), start=2):
        if str(metric).partition(":")[0] in WHOLE_METRICS:
            for column in ("published", "computed", "difference"):
                if column in columns:
                    sheet.cell(row, columns.index(column) + 1).number_format = WHOLE
        elif "published" in columns and pd.notna(published):
            places = published_decimals(published)
            sheet.cell(row, columns.index("published") + 1).number_format = "#,##0." + "0" * places


# Characters of column width an A4 page holds across at 100%, and the smallest print scale a
# wide sheet is fitted to (below it the sheet prints on more pages across instead).
PAGE_CHARS = {"portrait": 95, "landscape": 140}
MIN_SCALE = 0.7


def _for_print(sheet) -> None:
    """A4, landscape when the columns are wider than a portrait page, fitted to as many pages
    across as keep the print at MIN_SCALE or larger (one for most sheets; a sheet of 33 columns
    is not shrunk to an unreadable single page), as many pages down as needed, the header row
    repeated on every page."""
    width = sum(sheet.column_dimensions[get_column_letter(i)].width or 13
                for i in range(1, sheet.max_column + 1))
    orientation = "portrait" if width <= PAGE_CHARS["portrait"] else "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = orientation
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = max(1, -(-int(width) // int(PAGE_CHARS[orientation] / MIN_SCALE)))
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"


def _with_rank_width(table: pd.DataFrame) -> pd.DataFrame:
    """The rank sensitivity with the width of each unit's rank range after its 95th percentile
    (rank_p95 − rank_p05, in places), as the PDF's table shows it."""
    out = table.copy()
    out.insert(out.columns.get_loc("rank_p95") + 1, "rank_width", out["rank_p95"] - out["rank_p05"])
    return out


def _properties(book, ds, title: str, lang: str) -> None:
    props = book.properties
    props.title = title
    props.subject = ds.config.title(lang)
    props.creator = report_author(ds, lang) or t("xlsx.creator", lang)
    props.language = lang
    props.keywords = t("xlsx.keywords", lang)
    props.description = t("xlsx.note_units_text", lang)
    props.category = t("xlsx.category", lang)


def period_end(period: str) -> datetime:
    """The last day of the period reported, noon: "2023" → 31 Dec 2023, "2025-07" → 31 Jul 2025."""
    year, _, month = str(period).partition("-")
    year, month = int(year), int(month or 12)
    return datetime(year, month, monthrange(year, month)[1], 12, 0, 0)


def _fixed_time(raw: bytes, stamp: datetime) -> bytes:
    """The workbook `raw` with its modified date (openpyxl writes the time of saving into
    docProps/core.xml) and every zip entry's time set to `stamp`, entries in the same order."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + when.encode(), data)
            target.writestr(zipfile.ZipInfo(entry.filename, stamp.timetuple()[:6]), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _blank_components(table: pd.DataFrame | None) -> list[str]:
    """The codes of the (sub-)components of `index_subcomponents` with no points for any unit
    (PAPI's construction permits from 2021: not in the source)."""
    if table is None or table.empty or "points" not in table:
        return []
    blank = table["points"].isna().groupby(table["component"]).all()
    return sorted(blank.index[blank])


ONE_GROUP_COLUMNS = ("group", "rank_in_group")


def _one_group(units: pd.DataFrame | None) -> bool:
    """Whether every unit of the ranking is in the same group (PAPI's provinces): its group
    column and rank in the group then repeat the same value and the rank."""
    return (units is not None and set(ONE_GROUP_COLUMNS) <= set(units)
            and units["group"].nunique(dropna=False) == 1)


def write_workbook(results: dict[str, pd.DataFrame], ds, title: str, lang: str, path: Path,
                   year: int | None = None, period: str | None = None) -> None:
    """The edition's workbook at `path`: an intro sheet (title, dataset, the source of `year`'s
    method version as the methods appendix cites it, else the dataset's), then one sheet per
    table. Dated the end of `period` ("2023", "2025-07"; else of `year`; without either,
    1 January 2000 as the PDF's fixed date), so two runs on the same tables write the same bytes."""
    book = Workbook()
    about = book.active
    about.title = t("xlsx.about_sheet", lang)[:31]
    notes = [[t("xlsx.title", lang), title],
             [t("xlsx.dataset", lang), ds.name],
             [t("xlsx.synthetic", lang), t("word.yes" if ds.config.synthetic else "word.no", lang)],
             [t("xlsx.note_units", lang), t("xlsx.note_units_text", lang)],
             [t("xlsx.csv_format", lang), t("xlsx.csv_format_text", lang)]]
    span = period or (str(year) if year is not None else None)
    if span:   # as on the cover: whose data, who prepared the workbook, where the scores are from
        parts = publisher_parts(ds, lang, span, title, compared_year(results) if year is not None else None)
        notes[1:1] = [list(fact) for fact in parts["facts"]] + (
            [[t("xlsx.notice", lang), parts["notice"]]] if parts["notice"] else [])
    of_year = year if year is not None else int(str(period)[:4]) if period else None
    scale = ds.config.scale(of_year) if of_year is not None else None
    # the PDF leads with the index's own scale (PAPI points): how to go from one to the other
    own_scale = bool(scale) and "points" in results.get("index_units", ())
    factor = scale["max"] / 100 if own_scale else 1.0
    words = Labels(ds, lang, year)
    wording = words.wording
    in_points = {n: frame for n in IN_OWN_POINTS if own_scale and n in results
                 and (frame := _own_points(n, results[n], factor)) is not None}
    if own_scale:
        label = mid_sentence(scale[f"label_{lang}"], lang)
        notes.append([t("xlsx.own_scale", lang), t("xlsx.own_scale_text", lang, label=label, max=scale["max"],
                                                      factor=fmt_number(scale["max"] / 100, lang, 2),
                                                      sheets=", ".join(
                                                          f"“{sheet_name(n, lang, wording)}”"
                                                          for n in ["index_units", *in_points]))])
        if factor != 1.0 and "tests" in results:   # its units, as the PDF's tests tables
            notes.append([t("xlsx.own_scale_tests_item", lang, wording),
                          t("xlsx.own_scale_tests", lang, wording, label=label,
                            sheet=sheet_name("tests", lang, wording))])
    methodology = ds.config.raw.get("methodology") or {}
    source = (ds.config.method_text(year, "source", lang) if year is not None
              else methodology.get(f"source_{lang}") or methodology.get("source"))
    if source:
        notes.append([t("xlsx.source", lang), " ".join(str(source).split())])
    published = results.get("reconciliation")
    if published is not None and "source" in published:
        for url in sorted(set(published["source"].dropna())):
            notes.append([t("xlsx.source", lang), url])
    one_group = _one_group(results.get("index_units"))
    if one_group:   # the group and the rank in it say nothing the rank does not
        notes.append([t("xlsx.one_group", lang, wording, sheet=sheet_name("index_units", lang, wording)),
                      t("xlsx.one_group_text", lang, wording, table="index_units")])
    blank = _blank_components(results.get("index_subcomponents"))
    if blank and of_year is not None:   # a part the source left blank for every unit that year
        notes.append([t("xlsx.blank_components", lang, wording,
                        sheet=sheet_name("index_subcomponents", lang, wording)),
                      t("xlsx.blank_components_text", lang, wording, year=of_year,
                        table="index_subcomponents",
                        names=", ".join(words.codes["component"].get(c, c) for c in blank))])
    names = sorted(results, key=sheet_place)
    notes += [[t("xlsx.sheet", lang, sheet=sheet_name(name, lang, wording)), f"tables/{name}.csv"]
              for name in names]
    _fill(about, pd.DataFrame(notes, columns=["k", "v"]), [t("xlsx.item", lang), t("xlsx.value", lang)],
          [None, None])
    about.column_dimensions["B"].width = 90
    for (cell,) in about.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        about.row_dimensions[cell.row].height = LINE_PT * _lines(cell.value, 90)
    _for_print(about)
    mapping = ds.config.raw.get("service_index") or {}
    labels = {code: spec[f"label_{lang}"] for code, spec in (mapping.get("indicators") or {}).items()}
    labels.update({g["code"]: g[f"label_{lang}"] for g in mapping.get("groups") or []})
    used: set[str] = {about.title}
    for name in names:
        table, fields = results[name], {}
        if name == "tests":
            table = _tests_sheet(table, factor)
            fields["unit"] = _tests_unit(ds, lang, scale, factor, set(table["metric"]))
        if name == "index_units" and "rank" in table:  # in rank order, as the report lists them
            table = table.sort_values(["rank", "unit_id"], kind="stable", na_position="last")
            if own_scale:
                table = _points_first(table, factor)
        if name == "reconciliation":   # as the PDF's audit says them
            table = table.assign(rule=reconciled_rules(ds, year, results.get("index_units"), table))
        if name == "index_units" and "rank_change" in table:   # the report's "*", for those who
            flagged = set(flagged_changes(results[name])["unit_id"])   # work from the workbook
            if flagged:   # beside the rank change it qualifies
                table = table.copy()
                table.insert(table.columns.get_loc("rank_change") + 1, "unusual_change",
                             table["unit_id"].isin(flagged))
        if name == "index_units" and one_group:   # named on the About sheet instead
            table = table.drop(columns=list(ONE_GROUP_COLUMNS))
        if name == "index_subcomponents" and blank:   # named on the About sheet instead
            table = table[~table["component"].isin(blank)]
        table = in_points.get(name, table)
        if name == "sensitivity" and {"rank_p05", "rank_p95"} <= set(table):
            table = _with_rank_width(table)
        frame = edition_frame(name, table, words)
        if lang == "vi" and {"band", "band_vi"} <= set(frame) and frame["band"].equals(frame["band_vi"]):
            frame = frame.drop(columns="band_vi")  # the band in Vietnamese twice
        headers = [t(NAME_BESIDE[c.partition(":")[0]], lang, wording) if c.endswith(":name")
                   else t(SHARE_OF_MAX[c], lang) if name == "index_units" and own_scale and c in SHARE_OF_MAX
                   else _header(c, lang, labels, name, wording, **fields) for c in frame.columns]
        if len(frame):  # no column the data cannot fill (first-year changes, tests without ballots)
            filled = [any(str(v) != "" for v in frame[c].dropna().tolist()) for c in frame.columns]
            frame, headers = frame.loc[:, filled], [h for h, keep in zip(headers, filled) if keep]
        formats = [_number_format(name, c, frame[c], lang) for c in frame.columns]
        title_ = sheet_name(name, lang, wording)
        while title_ in used:  # two tables cut to the same 31 characters
            title_ = title_[:29] + f"~{len(used)}"
        used.add(title_)
        sheet = book.create_sheet(title_)
        _fill(sheet, frame, headers, formats)
        if name == "reconciliation":
            _whole_figures(sheet, results[name], list(frame.columns))
        if name == "tests":
            _whole_statistics(sheet, list(frame.columns), table["test"].tolist())
        sheet.auto_filter.ref = sheet.dimensions
        _for_print(sheet)
    _properties(book, ds, title, lang)
    stamp = period_end(period or str(year)) if (period or year) else datetime(2000, 1, 1)
    book.properties.created = book.properties.modified = stamp
    raw = io.BytesIO()
    book.save(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_time(raw.getvalue(), stamp))


def write_edition(ds, year: int, lang: str, results: dict, run_dir: Path, period: str | None = None) -> None:
    """The edition's workbook, run_dir/<lang>/report.xlsx, titled as the edition (it needs only
    the tables: a run writes it while the notebooks run)."""
    out = run_dir / lang
    out.mkdir(parents=True, exist_ok=True)
    write_workbook(results, ds, edition_title(ds.config, lang, period or str(year)), lang,
                   out / "report.xlsx", year, period or str(year))
