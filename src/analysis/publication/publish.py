"""From the executed notebook to the publication: HTML (nbconvert), PDF (WeasyPrint), XLSX.

The HTML is nbconvert's export of the notebook's displayed outputs through our own slim
template (no code, no prompts, nothing fetched from a CDN); the PDF is WeasyPrint's rendering of
that same HTML with the print stylesheet and the fonts embedded (Vietnamese needs a font with
every diacritic: DejaVu Sans, shipped inside matplotlib, so nothing depends on system fonts).
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
import uuid
from pathlib import Path

import matplotlib
import nbformat
import papermill
from jupyter_client.manager import KernelManager
from nbconvert import HTMLExporter
from traitlets import default

from analysis.audit.release import draft_reasons
from analysis.publication import xlsx
from analysis.publication.i18n import t
from analysis.publication.parameters import relative
from analysis.paths import ASSETS, REPORT_NOTEBOOK, TEMPLATES

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
SOURCE_DATE_EPOCH = "946684800"  # fixed PDF dates: reruns give the same PDF metadata


class LocalKernelManager(KernelManager):
    """The report's kernel talks over local IPC sockets rather than TCP ports: nothing listens on
    the network, and ipykernel has no unencrypted-TCP warning to print on every run."""

    @default("transport")
    def _transport(self):
        return "ipc"

    @default("ip")
    def _ip(self):   # each kernel its own socket files (two editions run side by side)
        return str(Path(tempfile.gettempdir()) / f"par-report-kernel-{uuid.uuid4().hex}")

    async def _async_interrupt_kernel(self) -> None:
        """No SIGINT on the way to a shutdown: jupyter_client interrupts the kernel before asking
        it to shut down, and ipykernel logs that as "ERROR | KeyboardInterrupt caught in kernel"
        after every successful run. A busy kernel is still stopped: the shutdown request is
        followed by SIGTERM and SIGKILL (`shutdown_wait_time`)."""
        if not self.shutting_down:
            await super()._async_interrupt_kernel()


class NotebookError(Exception):
    """The report notebook failed; the failed copy is kept (outside the run) for diagnosis."""


def execute_notebook(data_dir: Path, year: int, lang: str, tables_dir: Path, out_dir: Path,
                     failed_dir: Path | None = None, period: str | None = None) -> Path:
    """Run the report notebook for one edition; the executed copy stays in the run for audit.

    On failure the executed copy (with papermill's banner at the failing cell) is moved to
    `failed_dir` and a NotebookError names the cell, the exception and that copy."""
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / "report.ipynb"
    here = out_dir.resolve()
    try:   # the kernel runs in the edition's folder, the paths relative to it: the copy reruns there
        papermill.execute_notebook(
            str(REPORT_NOTEBOOK), str(executed), kernel_name="python3", progress_bar=False,
            request_save_on_cell_execute=False, kernel_manager_class=LocalKernelManager,
            resources={"metadata": {"path": str(here)}},   # the kernel's folder (no process chdir)
            parameters={"data_dir": relative(Path(data_dir).resolve(), here), "year": int(year),
                        "lang": lang, "tables_dir": relative(tables_dir.resolve(), here),
                        "out_dir": ".", "period": period or ""})
    except papermill.PapermillExecutionError as err:
        kept = executed
        if failed_dir is not None:
            failed_dir.mkdir(parents=True, exist_ok=True)
            kept = failed_dir / f"{period or year}-{lang}.ipynb"
            executed.replace(kept)
        raise NotebookError(f"the {lang} report notebook failed at cell {err.exec_count}: "
                            f"{err.ename}: {err.evalue}\nthe failed notebook is kept at {kept}") from None
    scrub_paths(executed, {str(out_dir.resolve().parent): "..", str(REPORT_NOTEBOOK.parent.parent): ".",
                           str(Path(data_dir).resolve()): _shown(Path(data_dir).resolve())})
    return executed


def _shown(folder: Path) -> str:
    """A dataset folder as the kept notebook shows it: relative to the repository, else its name."""
    root = REPORT_NOTEBOOK.parent.parent
    return str(folder.relative_to(root)) if folder.is_relative_to(root) else folder.name


def scrub_paths(notebook: Path, replacements: dict[str, str]) -> None:
    """Replace the machine's absolute paths in the kept notebook (its parameters and papermill's
    metadata) by relative ones: no published file names a path of the machine or the staging
    folder. The longest paths first, so a folder inside another is replaced whole; only where
    a path starts (not inside a relative path such as `../../work/data`, which stays valid)."""
    text = notebook.read_text(encoding="utf-8")
    for path in sorted(replacements, key=len, reverse=True):
        text = re.sub(r"(?<![\w.\-/])" + re.escape(path), lambda _: replacements[path], text)
    notebook.write_text(text, encoding="utf-8")


def css(lang: str, synthetic: bool, for_pdf: bool, draft: bool = False) -> str:
    """The report stylesheet, plus the PDF's page furniture (margin boxes from the catalog; a
    draft carries "DỰ THẢO"/"DRAFT" at the top of every page)."""
    sheet = (ASSETS / "report.css").read_text(encoding="utf-8")
    if not for_pdf:
        return sheet
    fonts = "\n".join(
        f'@font-face {{ font-family: "DejaVu Sans"; src: url("{(FONT_DIR / f).as_uri()}"); '
        f"font-weight: {w}; font-style: {s}; }}"
        for f, w, s in (("DejaVuSans.ttf", "normal", "normal"), ("DejaVuSans-Bold.ttf", "bold", "normal"),
                        ("DejaVuSans-Oblique.ttf", "normal", "italic"),
                        ("DejaVuSans-BoldOblique.ttf", "bold", "italic")))
    before, _, after = t("report.page_of", lang, page="\0", pages="\0").partition("\0")
    middle, _, end = after.partition("\0")
    footer = f'"{before}" counter(page) "{middle}" counter(pages) "{end}"'
    banner = t("report.synthetic_banner", lang) if synthetic else ""
    mark = t("report.draft_mark", lang) if draft else ""
    return f"""{fonts}
{sheet}
@page {{
  @bottom-right {{ content: {footer}; font-family: "DejaVu Sans"; font-size: 8pt; color: #555; }}
  @top-left {{ content: string(doctitle); font-family: "DejaVu Sans"; font-size: 8pt; color: #555; }}
  @top-right {{ content: string(edition); font-family: "DejaVu Sans"; font-size: 8pt; color: #555; }}
  @bottom-left {{ content: "{banner}"; font-family: "DejaVu Sans"; font-size: 8pt; color: #b00020;
                 font-weight: bold; }}
  @top-center {{ content: "{mark}"; font-family: "DejaVu Sans"; font-size: 11pt; color: #b00020;
                font-weight: bold; letter-spacing: 0.1em; }}
}}
@page :first {{ @top-left {{ content: none; }} @top-right {{ content: none; }} }}
"""


def notebook_html(executed: Path, lang: str, title: str, stylesheet: str, meta: dict | None = None) -> str:
    """The page (templates/publication): the notebook's displayed sections; `meta` the document's
    author, description and keywords (the PDF's metadata)."""
    exporter = HTMLExporter(template_name="publication", extra_template_basedirs=[str(TEMPLATES)])
    nb = nbformat.read(executed, as_version=4)
    body, _ = exporter.from_notebook_node(
        nb, resources={"publication": {"lang": lang, "title": title, "css": stylesheet, "meta": meta or {}}})
    return body


def write_pdf(page: str, path: Path):
    """WeasyPrint's rendering of the HTML `page` written to `path` (the series report, the
    profiles); returns the rendered document. No base URL, as for the yearly editions."""
    from weasyprint import HTML  # slow import: only when a PDF is asked for
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    document = HTML(string=page, base_url=None).render()
    document.write_pdf(path)
    return document


def document_meta(ds, lang: str, period: str) -> dict:
    """Author (the publisher), description (subject) and keywords of an edition."""
    publisher = (ds.config.raw.get("publisher") or {}).get(f"name_{lang}", "")
    return {"author": publisher,
            "description": t("report.subject", lang, title=ds.config.title(lang), period=period),
            "keywords": ", ".join(filter(None, [ds.config.raw.get(f"index_name_{lang}"), ds.name, period]))}


PDFA = "pdf/a-3b"  # archival variant (ISO 19005-3, level B), on request
PDFUA = "pdf/ua-1"  # the edition: tagged, accessible PDF (ISO 14289-1)


def render_edition(ds, year: int, lang: str, results: dict, run_dir: Path, formats,
                   archival: bool = False, period: str | None = None) -> None:
    """Write report.html / report.pdf / report.xlsx of one edition into run_dir/<lang>/, and
    report-pdfa.pdf (PDF/A-3b) when `archival`."""
    from analysis.publication.report import edition_title
    out = run_dir / lang
    executed = out / "report.ipynb"
    title = edition_title(ds.config, lang, period or str(year))
    synthetic = bool(ds.config.synthetic)
    draft = bool(draft_reasons(ds, results))
    meta = document_meta(ds, lang, period or str(year))
    if "html" in formats:
        (out / "report.html").write_text(notebook_html(executed, lang, title, css(lang, synthetic, False),
                                                       meta), encoding="utf-8")
    if "pdf" in formats:
        from weasyprint import HTML  # slow import: only when a PDF is asked for
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        page = notebook_html(executed, lang, title, css(lang, synthetic, True, draft), meta)
        # No base URL: a relative link (the other edition) cannot become a file:// URI of this
        # machine's staging folder; the PDF keeps its text. Tagged (PDF/UA-1) for screen readers.
        document = HTML(string=page, base_url=None).render()
        document.write_pdf(out / "report.pdf", pdf_variant=PDFUA)
        if archival:
            document.write_pdf(out / "report-pdfa.pdf", pdf_variant=PDFA)
    if "xlsx" in formats:
        xlsx.write_workbook(results, ds, title, lang, out / "report.xlsx")
