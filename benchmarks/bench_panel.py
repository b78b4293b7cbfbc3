"""Benchmark (not a test): the new work of issue 14 against its budgets (issue 17, item 3).

- the sensitivity Monte Carlo of the index, 10,000 draws × 63 units (PAPI 2016), with its Sobol
  design (N (k + 2) model runs): budget 2 s;
- all 61 PAPI 2024 province profiles in both languages (the step a `--profiles` run adds: the
  history tables, then each edition's book and one PDF per province): budget 30 s;
- the 2011–2024 series report, `par-report run --years 2011-2024`, both editions, HTML + PDF, as
  a whole process: budget 20 s.

Each figure is the median of `--repeat` runs (wall time), with the CPU time beside it and the
machine's load average, since the machine is shared; beside the profiles and the series, their
floor measured in the same run: WeasyPrint rendering the same pages (both editions' books, or both
editions' series pages), each edition in its own process started for it, in parallel. Run:
`.venv/bin/python benchmarks/bench_panel.py [--repeat 3]`.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import pipeline
from analysis.indices import composite
from analysis.indices.panel import panel_tables, profile_tables
from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.publication import pdf, series
from analysis.publication.unit_profiles import Profiles

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "papi-provinces"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds (this process and its children) of `fn()`."""
    walls, cpus = [], []
    for _ in range(repeat):
        cpu0, child0, start = time.process_time(), children_cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu0 + children_cpu() - child0)
    return statistics.median(walls), statistics.median(cpus)


def report(label: str, figures: tuple[float, float], budget: float, floor: float | None = None) -> None:
    wall, cpu = figures
    verdict = "within" if wall <= budget else "OVER"
    beside = f"; floor {floor:6.2f} s, {wall / floor:.1f}× it" if floor else ""
    print(f"{label:<58} {wall:6.2f} s wall {cpu:6.2f} s CPU   budget {budget:4.0f} s: {verdict}{beside}")


# WeasyPrint imported as the run imports it (`pdf.import_weasyprint`)
RENDER = ("import sys; from analysis.publication.pdf import import_weasyprint; HTML = import_weasyprint().HTML; "
          "HTML(string=open(sys.argv[1], encoding='utf-8').read(), base_url=None).render()"
          ".write_pdf(sys.argv[2], pdf_variant='pdf/ua-1')")


class Captured(Exception):
    """Raised in place of rendering: the page was kept."""


def captured_pages(calls, folder: Path) -> list[Path]:
    """The HTML page each of `calls` hands first to WeasyPrint (`pdf.write_pdf`), saved in
    `folder` instead of rendered."""
    pages = []

    def keep(page, path):
        pages.append(folder / f"page-{len(pages)}.html")
        pages[-1].write_text(page, encoding="utf-8")
        raise Captured
    original, pdf.write_pdf = pdf.write_pdf, keep
    try:
        for call in calls:
            try:
                call()
            except Captured:
                pass
    finally:
        pdf.write_pdf = original
    return pages


def render_floor(pages: list[Path]) -> float:
    """Wall seconds of WeasyPrint rendering `pages` in parallel, each in a process of its own."""
    start = time.perf_counter()
    children = [subprocess.Popen([sys.executable, "-c", RENDER, str(p), str(p.with_suffix(".pdf"))]) for p in pages]
    if any(child.wait() for child in children):
        raise RuntimeError("WeasyPrint failed")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start; "
          f"median of {repeat}")
    ds = load_dataset(DATA)
    draws = ds.config.sensitivity["draws"]
    composite.sensitivity(ds, 2016)   # warm-up
    report(f"sensitivity: {draws:,} draws × 63 units, with Sobol indices",
           measure(lambda: composite.sensitivity(ds, 2016), repeat), 2)
    results = compute_results(ds, 2024)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        book = Profiles(ds, 2024, results, profile_tables(ds, 2024))
        books = captured_pages([lambda lang=lang: book.publish(lang, tmp / "pages" / lang)
                                for lang in pipeline.LANGS], tmp)
        panel = panel_tables(ds, 2011, 2024)
        pages = captured_pages([lambda lang=lang: series.publish_edition(
            ds, (2011, 2024), lang, panel, tmp / "pages" / lang, ("pdf",)) for lang in pipeline.LANGS], tmp)
        floors = [], []
        for _ in range(repeat):
            floors[0].append(render_floor(books))
            floors[1].append(render_floor(pages))

        def profiles():
            book = Profiles(ds, 2024, results, profile_tables(ds, 2024))
            pipeline.in_processes(book.publish, [(lang, tmp / lang) for lang in pipeline.LANGS])
        report(f"profiles: {len(results['index_units'].dropna(subset=['score']))} units × 2 languages "
               "(book + one PDF each)", measure(profiles, repeat), 30, statistics.median(floors[0]))
        command = [str(Path(sys.executable).with_name("par-report")), "run", "--data", str(DATA),
                   "--years", "2011-2024", "--format", "html,pdf", "--out", str(tmp), "--quiet"]
        report("series 2011–2024: par-report run, both editions, whole process",
               measure(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL),
                       repeat), 20, statistics.median(floors[1]))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
