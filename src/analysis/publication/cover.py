"""The publisher's part of a cover, the same for the yearly, monthly and series reports: its
name, the report number (`<report_prefix>-<period>-<LANG>`, e.g. PARINDEX-2023-VI), the logo
(a file of the dataset folder, as a data URI) and the colophon (citation, contact, licence),
all from `publisher:` in dataset.yaml."""
from __future__ import annotations

import base64
from pathlib import Path

from analysis.audit.manifest import report_date
from analysis.publication.i18n import t


def logo_uri(root: Path, file) -> str:
    """The publisher's logo (a file of the dataset folder) as a data URI, or nothing."""
    if not file:
        return ""
    path = root / file
    mime = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg"}.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return ""
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def publisher_parts(ds, lang: str, period: str, title: str) -> dict:
    """`name`, `number`, `logo` and `colophon` (lines) of the cover of `period` ("2023",
    "2025-07", "2011-2024") of the dataset `ds` in `lang`."""
    cfg = ds.config
    publisher = cfg.raw.get("publisher") or {}
    name = publisher.get(f"name_{lang}", "")
    number = f'{publisher.get("report_prefix") or ds.name.upper()}-{period}-{lang.upper()}'
    colophon = [t("report.citation", lang, publisher=name or cfg.title(lang),
                  year=report_date().year, title=title, number=number)]
    if publisher.get("contact"):
        colophon.append(t("report.contact", lang, contact=publisher["contact"]))
    if publisher.get(f"licence_{lang}"):
        colophon.append(t("report.licence", lang, licence=publisher[f"licence_{lang}"]))
    return {"name": name, "number": number, "logo": logo_uri(ds.root, publisher.get("logo")),
            "colophon": colophon}
