"""WeasyPrint's rendering of a publication page to PDF, apart from `publish` so that a report
kernel rendering its edition's PDF imports WeasyPrint and nothing else (nbconvert, papermill,
openpyxl and the statistics stack cost about a second of CPU an edition)."""
from __future__ import annotations

import contextlib
import gc
import io
import logging
import sys
from pathlib import Path

PDFA = "pdf/a-3b"  # archival variant (ISO 19005-3, level B), on request
PDFUA = "pdf/ua-1"  # the edition: tagged, accessible PDF (ISO 14289-1)


def import_weasyprint():
    """WeasyPrint's module, imported without searching for its libraries under every name it
    tries. WeasyPrint opens each of its libraries (GObject, Pango, HarfBuzz, fontconfig …) by
    trying names for several platforms in turn ("libgobject-2.0-0", …, "libgobject-2.0.so.0");
    cffi hands each name that does not open as written to `ctypes.util.find_library`, which on
    Linux runs ldconfig, then gcc and ld, for every one that is not found (here 22 ldconfigs,
    16 gcc: 0.12 s of CPU an import, a third of it). On Linux that search can only return a
    soname that the name WeasyPrint lists later opens directly, so it is skipped; should the
    import then fail, it is done again with the search (its messages shown)."""
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint
        return weasyprint
    import ctypes.util
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):   # WeasyPrint's advice on a failure
            import weasyprint
        return weasyprint
    except OSError:
        pass
    finally:
        ctypes.util.find_library = search
    import weasyprint   # with the search: a library found only by it, or WeasyPrint's message
    return weasyprint


def write_pdf(page: str, path: Path):
    """WeasyPrint's rendering of the HTML `page` written to `path`, tagged PDF/UA-1 (the yearly
    editions through `write_edition_pdf`, the series report, the profiles); returns the
    rendered document. No base URL (see `write_edition_pdf`)."""
    HTML = import_weasyprint().HTML  # a slow import: only when a PDF is asked for
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
