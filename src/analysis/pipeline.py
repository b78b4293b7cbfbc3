"""`par-report run`: tables once, then each edition, published atomically.

A run builds everything in a new run folder and switches the published path to it only when
every step succeeded (`runfolder.publishing`); on any failure the new folder is removed and
the previous good output is left exactly as it was.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path

from analysis import runfolder
from analysis.publication import kernel_parent

LANGS = ("vi", "en")
FORMATS = ("html", "pdf", "xlsx")


def _child(function, args, errors, nice: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run and kills this child
    # (`in_background`), which would otherwise print a KeyboardInterrupt traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if nice:
            os.nice(nice)
        function(*args)
    except Exception as err:   # handed to the parent, which raises it
        errors.put(f"{type(err).__name__}: {err}")


@contextmanager
def in_background(function, *args, nice: int = 0):
    """`function(*args)` in a forked process (nothing is pickled: the child has the parent's
    tables), `nice` lowering its CPU priority. Yields a function that waits for it and raises
    its failure; a child still running when the block is left (the run failed or was stopped)
    is killed."""
    context = multiprocessing.get_context("fork")
    errors = context.SimpleQueue()
    child = context.Process(target=_child, args=(function, args, errors, nice))
    child.start()

    def wait() -> None:
        child.join()
        problem = errors.get() if not errors.empty() else (
            f"a worker stopped with exit code {child.exitcode}" if child.exitcode else "")
        if problem:
            raise RuntimeError(problem)
    try:
        yield wait
    finally:
        if child.is_alive():
            child.kill()
            child.join()


def in_processes(function, calls: list[tuple]) -> None:
    """`function(*args)` for each `args` of `calls`, each in its own forked process, side by
    side (WeasyPrint holds the GIL, so two editions overlap only as processes). A failure in a
    child is raised here."""
    with ExitStack() as stack:
        waits = [stack.enter_context(in_background(function, *args)) for args in calls]
        problems = []
        for finish in waits:
            try:
                finish()
            except RuntimeError as err:
                problems.append(str(err))
    if problems:
        raise RuntimeError("; ".join(problems))


# The workbooks are written at nice 5 while the editions' kernels run: a third of a kernel's
# share of the CPU while both are busy (the report 0.15 s sooner, measured), and still a
# quarter of a core beside any other busy program.
WORKBOOKS_NICE = 5


def _workbooks(ds, year, langs, results, run_dir, period) -> None:
    """The editions' workbooks (they need only the tables), in a process of their own that ends
    with them: without the cyclic garbage collector, which walked openpyxl's cells again and
    again (8% of the workbooks' time)."""
    gc.disable()
    from analysis.publication import xlsx
    for lang in langs:
        xlsx.write_edition(ds, year, lang, results, run_dir, period)


@contextmanager
def imports_unscanned():
    """The cyclic garbage collector off while the block imports, and what the imports created
    frozen after (`gc.freeze`, until `run` ends): the modules of the tables (pandas, SciPy,
    statsmodels) are kept to the end of the run, yet each full collection walked all of them
    (0.25 s of CPU on a run's critical path). Ctrl-C waits for the imports to end
    (`runfolder.interrupt_after`)."""
    gc.disable()
    try:
        with runfolder.interrupt_after():
            yield
    finally:
        gc.freeze()
        gc.enable()


def run(data_dir: Path, year: int | None, langs=LANGS, formats=FORMATS,
        out_root: Path = Path("reports"), progress: bool = True, archival: bool = False, period: str | None = None,
        require_final: bool = False, explain: bool = False, profiles: bool = False,
        years: tuple[int, int] | None = None) -> Path:
    """Publish `year` of the dataset in `data_dir` to OUT/<dataset>/<year>/ and return that
    folder; with `period` (a month YYYY-MM of a dossier dataset), OUT/<dataset>/<period>/; with
    neither, the dataset's default (`default_when`: known only once it is loaded, so that the
    kernels start at once). `require_final` (--final): raise DraftError, publishing nothing, if
    the edition is a draft.
    With `explain`, also the working papers explain/explain.ipynb (and .html) of the leader,
    the laggard and every flagged unit: one notebook, one kernel, about half a minute.
    `profiles`: also one page per unit in each edition (<lang>/profiles/). `years` (first,
    last): the series report instead (`run_series`)."""
    if years is not None:
        return run_series(data_dir, years, langs, formats, out_root, progress)
    # The editions' kernels start first (their parent imports the report's code and WeasyPrint)
    # while this process imports the rest, loads the data and computes the tables; each then
    # takes this process's dataset, runs its edition's notebook and renders its PDF: the
    # editions run side by side as two processes.
    begun = kernel_parent.begin(len(langs) if formats else 0, "pdf" in formats)
    try:
        from tqdm import tqdm

        from analysis.audit import manifest
        from analysis.publication import kernels
    except BaseException:   # Ctrl-C mid-import: no kernel is left behind
        begun.abandon()
        raise
    started = manifest.now()
    steps = 2 + (2 * len(langs) if formats else 0)
    pool = ThreadPoolExecutor(max_workers=max(1, len(langs)))
    with tqdm(total=steps, desc="par-report", disable=not progress, unit="step") as bar:
        bar.set_postfix_str("loading and checking the data")
        started_kernels = pool.submit(kernels.kernels_ready, begun)
        futures = [started_kernels]   # what the pool runs
        succeeded = False
        try:
            with imports_unscanned():
                from analysis.audit.release import DraftError, draft_reasons
                from analysis.indices.results import compute_results
                from analysis.indices.tables import write_tables
                from analysis.inputs.dataset import default_when, load_dataset
            ds = load_dataset(Path(data_dir).resolve())   # absolute paths: handed to the kernels
            if year is None and period is None:
                year, period = default_when(ds.config)
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
                    # the workbooks need only the tables: in the background from now on, while
                    # this process imports papermill (a core the kernels, ready, leave idle)
                    # and the notebooks run
                    with (in_background(_workbooks, ds, year, langs, results, tmp, period,
                                        nice=WORKBOOKS_NICE)
                          if "xlsx" in formats else nullcontext(lambda: None)) as workbooks:
                        # papermill only now: the kernels are started and the tables come first
                        with runfolder.interrupt_after():
                            from analysis.publication import publish
                        pickled = tmp / ".dataset.pickle"   # the kernels' dataset (removed below)
                        pickled.write_bytes(pickle.dumps(ds, protocol=pickle.HIGHEST_PROTOCOL))

                        earlier = publish.earlier_png_copies(final.resolve(), langs)

                        def edition(lang, i):
                            kernel = started_kernels.result()[i]
                            publish.execute_notebook(ds.root, year, lang, tables, tmp / lang,
                                                     final.parent / "failed", period, kernel, pickled,
                                                     earlier[lang])
                            bar.update()
                            publish.render_edition(ds, year, lang, results, tmp, formats, archival,
                                                   period, kernel)
                            bar.update()
                        bar.set_postfix_str("editions " + ", ".join(langs))
                        editions = [pool.submit(edition, lang, i) for i, lang in enumerate(langs)]
                        futures += editions
                        for done in editions:
                            done.result()
                        workbooks()
                    pickled.unlink()
                if profiles:
                    from analysis.indices.panel import profile_tables
                    from analysis.publication import unit_profiles
                    bar.set_postfix_str("profiles")
                    book = unit_profiles.Profiles(ds, year, results, profile_tables(ds, year))
                    in_processes(book.publish, [(lang, tmp / lang) for lang in langs])
                parameters = {"data": str(Path(data_dir).resolve()), "year": year, "period": period,
                              "lang": list(langs), "format": list(formats), "pdfa": archival,
                              **({"explain": True} if explain else {}),
                              **({"profiles": True} if profiles else {})}
                manifest.write(manifest.build(ds, parameters, started, tmp), tmp)
            succeeded = True
        finally:
            gc.unfreeze()   # the run's caller may go on (a notebook, the tests): collected as before
            _wind_down(pool, started_kernels, futures, succeeded)
    return final


# How long a run that failed or was interrupted waits for its kernels to start (so as to stop
# them) and for its editions to end, before it gives up on them (seconds).
UNWIND_WAIT = 5.0


def _wind_down(pool: ThreadPoolExecutor, started_kernels, futures: list, succeeded: bool) -> None:
    """Stop the kernels once started, then let the pool's threads end. A run that failed or
    was interrupted waits for them at most UNWIND_WAIT: Ctrl-C landing inside an import can
    leave that module's import lock held for good (CPython 3.11), and the kernels' start, in
    its thread, then waits forever for the same module (seen: a run that never ended). Kernels
    that start later are stopped then; and their parent kills them anyway once this process
    has ended (`kernel_parent.main`)."""
    from analysis.publication import kernels

    def stop(start):
        if start.exception() is None:
            kernels.stop_kernels(start.result())
    timeout = None if succeeded else UNWIND_WAIT
    if wait([started_kernels], timeout).done:
        stop(started_kernels)
    else:
        started_kernels.add_done_callback(stop)
    wait(futures, timeout)
    pool.shutdown(wait=succeeded, cancel_futures=True)


def run_series(data_dir: Path, years: tuple[int, int], langs=LANGS, formats=FORMATS,
               out_root: Path = Path("reports"), progress: bool = True) -> Path:
    """Publish the series report of the years `first`–`last` to OUT/<dataset>/<first>-<last>/:
    tables/panel_units.csv and panel_tests.csv, and each edition (no notebook: the sections
    are rendered in this process)."""
    from analysis.indices.panel import panel_tables
    from analysis.indices.tables import write_tables
    from analysis.inputs.dataset import load_dataset
    from analysis.publication import series
    from tqdm import tqdm

    from analysis.audit import manifest
    started = manifest.now()
    first, last = years
    with tqdm(total=2 + len(langs), desc="par-report", disable=not progress, unit="step") as bar:
        bar.set_postfix_str("loading and checking the data")
        ds = load_dataset(data_dir)
        results = panel_tables(ds, first, last)
        bar.update()
        final = Path(out_root).resolve() / ds.name / f"{first}-{last}"
        with runfolder.publishing(final) as tmp:
            write_tables(results, tmp / "tables")
            bar.update()
            if formats:
                bar.set_postfix_str("editions " + ", ".join(langs))
                in_processes(series.publish_edition, [(ds, (first, last), lang, results, tmp / lang,
                                                       formats) for lang in langs])
            bar.update(len(langs))
            parameters = {"data": str(Path(data_dir).resolve()), "years": [first, last],
                          "lang": list(langs), "format": list(formats)}
            manifest.write(manifest.build(ds, parameters, started, tmp), tmp)
    return final
