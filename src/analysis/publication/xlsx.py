"""The result tables as one workbook per edition, for re-use in releases (openpyxl).

One sheet per table (named as its CSV file), headers in the edition's language, numbers stored
as numbers with a display format, frozen header row, widths fitted to the content, and a first
sheet with the sources and notes. Text that a spreadsheet would run as a formula is neutralised.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from analysis.publication.i18n import t
from analysis.indices.tables import neutralise
from analysis.inputs.readers import visible


def _header(column: str, lang: str, labels: dict[str, str]) -> str:
    """The column's header; a service-index column named after an indicator or a group of the
    dataset's mapping (rate_…, national_…, points_…) takes that label."""
    kind, _, code = column.partition("_")
    if kind in ("rate", "national", "points") and code in labels:
        return t(f"col.{kind}_of", lang, label=labels[code])
    return t(f"col.{column}", lang)


def _fill(sheet, frame: pd.DataFrame, headers: list[str]) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else (neutralise(visible(v)) if isinstance(v, str) else
                      (v.item() if hasattr(v, "item") else v)) for v in row])
    for index, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        if pd.api.types.is_float_dtype(frame[column]):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.00##"
        width = max([len(str(headers[index - 1]))] + [len(str(v)) for v in frame[column].head(500)])
        sheet.column_dimensions[letter].width = min(max(8, width + 2), 60)
    sheet.freeze_panes = "A2"


def write_workbook(results: dict[str, pd.DataFrame], ds, title: str, lang: str, path: Path) -> None:
    book = Workbook()
    about = book.active
    about.title = t("xlsx.about_sheet", lang)[:31]
    notes = [[t("xlsx.title", lang), title],
             [t("xlsx.dataset", lang), ds.name],
             [t("xlsx.synthetic", lang), t("word.yes" if ds.config.synthetic else "word.no", lang)],
             [t("xlsx.note_units", lang), t("xlsx.note_units_text", lang)]]
    source = (ds.config.raw.get("methodology") or {}).get("source")
    if source:
        notes.append([t("xlsx.source", lang), " ".join(str(source).split())])
    published = results.get("reconciliation")
    if published is not None and "source" in published:
        for url in sorted(set(published["source"].dropna())):
            notes.append([t("xlsx.source", lang), url])
    _fill(about, pd.DataFrame(notes, columns=["k", "v"]), [t("xlsx.item", lang), t("xlsx.value", lang)])
    mapping = ds.config.raw.get("service_index") or {}
    labels = {code: spec[f"label_{lang}"] for code, spec in (mapping.get("indicators") or {}).items()}
    labels.update({g["code"]: g[f"label_{lang}"] for g in mapping.get("groups") or []})
    for name in sorted(results):
        frame = results[name]
        _fill(book.create_sheet(name[:31]), frame, [_header(c, lang, labels) for c in frame.columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
