"""From the executed notebook to the publication: HTML, PDF (WeasyPrint), XLSX.

The HTML is the notebook's displayed outputs in our own page template (no code, no prompts,
nothing fetched from a CDN); the PDF is WeasyPrint's rendering of
that same HTML with the print stylesheet and the fonts embedded (Vietnamese needs a font with
every diacritic: DejaVu Sans, shipped inside matplotlib, so nothing depends on system fonts).
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

# nbformat validates with jsonschema, which, when the optional rfc3987_syntax is installed (a
# Jupyter dependency), builds that package's IRI grammar at import: about a second of every
# run, for a string format no notebook schema uses. Declined before papermill imports nbformat.
sys.modules.setdefault("rfc3987_syntax", None)

import markupsafe  # noqa: E402
import papermill  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from analysis.audit import manifest
from analysis.audit.release import draft_reasons
from analysis.publication.cover import report_author
from analysis.publication.formatting import edition_title
from analysis.publication.i18n import t
from analysis.publication.kernels import LocalKernelManager, NotebookError, silently
from analysis.publication.markup import render
from analysis.publication.parameters import relative
from analysis.publication.pdf import write_edition_pdf
from analysis.paths import ASSETS, REPORT_NOTEBOOK

# matplotlib's own fonts, found without importing it (as matplotlib.get_data_path() does)
FONT_DIR = Path(importlib.util.find_spec("matplotlib").origin).parent / "mpl-data" / "fonts" / "ttf"


def execute_notebook(data_dir: Path, year: int, lang: str, tables_dir: Path, out_dir: Path,
                     failed_dir: Path | None = None, period: str | None = None,
                     km: LocalKernelManager | None = None, pickled: Path | None = None,
                     png_copies: dict | None = None) -> Path:
    """Run the report notebook for one edition (in `km`, a kernel from `start_kernels`, else a
    new one; given `pickled`, the run's own dataset, `report.preload`, the kernel does not load
    it again; given `png_copies` (`earlier_png_copies`), its charts reuse those that have not
    changed); the executed copy stays in the run for audit.

    On failure the executed copy (with papermill's banner at the failing cell) is moved to
    `failed_dir` and a NotebookError names the cell, the exception and that copy."""
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / "report.ipynb"
    here = out_dir.resolve()
    if km is not None:   # a kernel started ahead: into the edition's folder, as papermill would start it
        code = f"__import__('os').chdir({str(here)!r})"
        if pickled is not None:
            code += (f"; __import__('analysis.publication.report').publication.report.preload("
                     f"{str(Path(data_dir).resolve())!r}, {str(pickled.resolve())!r})")
        if png_copies:
            code += (f"; __import__('analysis.publication.charts').publication.charts"
                     f".reuse_png_copies({png_copies!r})")
        silently(km, code)
    try:   # the kernel runs in the edition's folder, the paths relative to it: the copy reruns there
        papermill.execute_notebook(
            str(REPORT_NOTEBOOK), str(executed), kernel_name="python3", progress_bar=False,
            request_save_on_cell_execute=False, kernel_manager_class=LocalKernelManager, km=km,
            resources={"metadata": {"path": str(here)}},   # the kernel's folder (no process chdir)
            parameters={"data_dir": relative(Path(data_dir).resolve(), here), "year": int(year),
                        "lang": lang, "tables_dir": relative(tables_dir.resolve(), here),
                        "out_dir": ".", "period": period or ""})
    except DeadKernelError as err:   # killed, or stopped by a run failing elsewhere
        raise NotebookError(f"the {lang} report notebook's kernel stopped before the notebook "
                            f"finished ({err}); nothing was published") from None
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


def earlier_png_copies(published: Path, langs) -> dict[str, dict[str, tuple[str, str, str]]]:
    """For each edition of `langs`, the PNG copies of its charts in the run published at
    `published` (the previous run of the same dataset and year), for `charts.reuse_png_copies`:
    each chart's stem -> (the file, its SHA-256 and that of the SVG drawn beside it, as that
    run's manifest records them). None unless that run was made by the same code
    (`manifest.code_digest`) with the same libraries (`manifest.software`): the same SVG then
    means the same pixels."""
    try:
        recorded = manifest.read(published)
    except manifest.BrokenManifest:   # none published yet, or not a run we can trust
        recorded = {}
    if recorded.get("code") != manifest.code_digest() or recorded.get("software") != manifest.software():
        return {lang: {} for lang in langs}
    outputs = recorded["outputs"]
    copies = {lang: {} for lang in langs}
    for name, digest in outputs.items():
        lang, folder, file = (name.split("/", 2) + ["", ""])[:3]
        svg = name[:-len(".png")] + ".svg"
        if lang in copies and folder == "figures" and name.endswith(".png") and svg in outputs:
            copies[lang][file[:-len(".png")]] = (str(published / name), digest, outputs[svg])
    return copies


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


def notebook_html(executed: Path | dict, lang: str, title: str, stylesheets: list[str],
                  meta: dict | None = None) -> list[str]:
    """The page (templates/sections/document.html.j2) once per stylesheet: the HTML that the
    executed notebook's code cells display (`execute_result` and `display_data` outputs, in
    order; no code, no prompts, no streams, no markdown: every visible string comes from the
    bilingual catalog) inside `<main>`; `meta` the document's author, description and keywords
    (the PDF's metadata). The notebook is read as JSON, without nbconvert (its import and its
    BeautifulSoup pass over the page cost ≈ 0.5 s of CPU a run)."""
    nb = executed if isinstance(executed, dict) else json.loads(Path(executed).read_text(encoding="utf-8"))
    shown = [_html(output) for cell in nb["cells"] if cell["cell_type"] == "code"
             for output in cell.get("outputs", [])
             if output["output_type"] in ("execute_result", "display_data")]
    body = markupsafe.Markup("<main>" + "".join(shown) + "</main>")
    return [render("document.html.j2", lang=lang, title=title, body=body, css=sheet, meta=meta)
            for sheet in stylesheets]


def _html(output: dict) -> str:
    """An output's text/html ('' without one); the notebook file may hold it as a list of lines."""
    html = output.get("data", {}).get("text/html", "")
    return "".join(html) if isinstance(html, list) else html


def document_meta(ds, lang: str, period: str) -> dict:
    """Author (who prepared the report: `cover.report_author`), description (subject) and
    keywords of an edition."""
    return {"author": report_author(ds, lang),
            "description": t("report.subject", lang, title=ds.config.title(lang), period=period),
            "keywords": ", ".join(filter(None, [ds.config.raw.get(f"index_name_{lang}"), ds.name, period]))}


def render_edition(ds, year: int, lang: str, results: dict, run_dir: Path, formats,
                   archival: bool = False, period: str | None = None,
                   km: LocalKernelManager | None = None) -> None:
    """Write report.html / report.pdf of one edition into run_dir/<lang>/ from its executed
    notebook, and report-pdfa.pdf (PDF/A-3b) when `archival`; report.xlsx too unless the
    caller writes it (`xlsx.write_edition`). The PDF is rendered in `km` when given (the edition's
    kernel, idle once its notebook ran, with WeasyPrint imported: two editions render in
    parallel, as two processes), else here."""
    out = run_dir / lang
    executed = out / "report.ipynb"
    title = edition_title(ds.config, lang, period or str(year))
    synthetic = bool(ds.config.synthetic)
    draft = bool(draft_reasons(ds, results))
    meta = document_meta(ds, lang, period or str(year))
    wanted = [for_pdf for for_pdf, fmt in ((False, "html"), (True, "pdf")) if fmt in formats]
    pages = dict(zip(wanted, notebook_html(executed, lang, title,
                                           [css(lang, synthetic, p, draft) for p in wanted], meta)
                             if wanted else []))
    if "html" in formats:
        (out / "report.html").write_text(pages[False], encoding="utf-8")
    if "pdf" in formats:
        if km is None:
            write_edition_pdf(pages[True], out, archival)
        else:   # the page through a file of the edition's folder, removed once rendered
            page = out / ".pdf-page.html"
            page.write_text(pages[True], encoding="utf-8")
            try:
                silently(km, "from analysis.publication.pdf import write_edition_pdf as w; "
                              f"w(open({str(page.resolve())!r}, encoding='utf-8').read(), "
                              f"__import__('pathlib').Path({str(out.resolve())!r}), {archival!r}); "
                              "del w", timeout=900)
            finally:
                page.unlink(missing_ok=True)
    if "xlsx" in formats and km is None:
        from analysis.publication import xlsx   # openpyxl: only when a workbook is asked for
        xlsx.write_edition(ds, year, lang, results, run_dir, period)
