"""`par-report run`: tables once, then each edition, published atomically.

A run builds everything in a new run folder and switches the published path to it only when
every step succeeded (`runfolder.publishing`); on any failure the new folder is removed and
the previous good output is left exactly as it was.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from analysis import runfolder
from analysis.audit import manifest
from analysis.audit.release import DraftError, draft_reasons
from analysis.publication import publish
from analysis.inputs.dataset import load_dataset
from analysis.indices.results import compute_results
from analysis.indices.tables import write_tables

LANGS = ("vi", "en")
FORMATS = ("html", "pdf", "xlsx")


def run(data_dir: Path, year: int, langs=LANGS, formats=FORMATS, out_root: Path = Path("reports"),
        progress: bool = True, archival: bool = False, period: str | None = None,
        require_final: bool = False, explain: bool = False) -> Path:
    """Publish `year` of the dataset in `data_dir` to OUT/<dataset>/<year>/ and return that
    folder; with `period` (a month YYYY-MM of a dossier dataset), OUT/<dataset>/<period>/.
    `require_final` (--final): raise DraftError, publishing nothing, if the edition is a draft.
    With `explain`, also the working papers explain/explain.ipynb (and .html) of the leader,
    the laggard and every flagged unit: one notebook, one kernel, about half a minute."""
    started = manifest.now()
    steps = 2 + (2 * len(langs) if formats else 0)
    with tqdm(total=steps, desc="par-report", disable=not progress, unit="step") as bar:
        bar.set_postfix_str("loading and checking the data")
        ds = load_dataset(data_dir)
        results = compute_results(ds, year, progress=progress, period=period)
        reasons = draft_reasons(ds, results) if require_final else []
        if reasons:  # --final: a draft is not published (audit.release)
            raise DraftError(reasons)
        bar.update()
        final = Path(out_root).resolve() / ds.name / (period or str(year))
        with runfolder.publishing(final) as tmp:
            tables = tmp / "tables"
            write_tables(results, tables)
            bar.update()
            if explain:
                from analysis.explain import execute
                bar.set_postfix_str("working papers")
                execute(data_dir, year, "", tables, tmp / "explain" / "explain.ipynb")
            if formats:
                def edition(lang):
                    publish.execute_notebook(ds.root, year, lang, tables, tmp / lang,
                                             final.parent / "failed", period)
                    bar.update()
                    publish.render_edition(ds, year, lang, results, tmp, formats, archival, period)
                    bar.update()
                bar.set_postfix_str("editions " + ", ".join(langs))
                with ThreadPoolExecutor(max_workers=len(langs)) as pool:
                    list(pool.map(edition, langs))
            parameters = {"data": str(Path(data_dir).resolve()), "year": year, "period": period,
                          "lang": list(langs), "format": list(formats), "pdfa": archival,
                          **({"explain": True} if explain else {})}
            manifest.write(manifest.build(ds, parameters, started, tmp), tmp)
    return final
