"""WeasyPrint's rendering of a publication page to PDF, apart from `publish` so that a report
kernel rendering its edition's PDF imports WeasyPrint and nothing else (nbconvert, papermill,
openpyxl and the statistics stack cost about a second of CPU an edition)."""
from __future__ import annotations

import gc
import logging
from pathlib import Path

PDFA = "pdf/a-3b"  # archival variant (ISO 19005-3, level B), on request
PDFUA = "pdf/ua-1"  # the edition: tagged, accessible PDF (ISO 14289-1)


def write_pdf(page: str, path: Path):
    """WeasyPrint's rendering of the HTML `page` written to `path`, tagged PDF/UA-1 (the yearly
    editions through `write_edition_pdf`, the series report, the profiles); returns the
    rendered document. No base URL (see `write_edition_pdf`)."""
    from weasyprint import HTML  # slow import: only when a PDF is asked for
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(string=page, base_url=None).render()
    document.write_pdf(path, pdf_variant=PDFUA)
    return document


def write_edition_pdf(page: str, out: Path, archival: bool = False) -> None:
    """The edition's page rendered by WeasyPrint to out/report.pdf (tagged, PDF/UA-1, for
    screen readers) and, when `archival`, out/report-pdfa.pdf (PDF/A-3b). No base URL: a
    relative link (the other edition) cannot become a file:// URI of this machine's staging
    folder; the PDF keeps its text. The objects already there (a kernel's notebook: tables,
    charts) are kept out of the garbage collector's sweeps meanwhile: about 15% of the rendering."""
    gc.freeze()
    try:
        document = write_pdf(page, out / "report.pdf")
        if archival:
            document.write_pdf(out / "report-pdfa.pdf", pdf_variant=PDFA)
    finally:
        gc.unfreeze()
