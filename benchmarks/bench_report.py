"""Benchmark (not a test): wall time of the default report — `par-report run --data
data/papi-provinces` (its default year, both editions, HTML + PDF + XLSX), the whole process —
beside its floor measured in the same run: two report kernels started in parallel doing the
notebook's imports, then WeasyPrint rendering the run's two PDF pages in parallel (two processes,
import included). The run is reported as a ratio to that floor, twice: a rerun over the
previous run (as an analyst reruns a year; it takes the PNG copies of unchanged charts from
it, `charts.reuse_png_copies`) and a first run into an empty folder (every chart drawn). Runs
and floors alternate; the figures are medians of `--repeat` (after one warm-up run), and the
ratio is given twice: the medians' ratio, and the median of each run's ratio to the floor
measured in the same round (which follows the machine's speed as it drifts during the run). The
package's bytecode is compiled first, as Python writes it on a first run unless
PYTHONDONTWRITEBYTECODE is set (as on this machine: each run then compiled every module).
Run: `make bench` or `.venv/bin/python benchmarks/bench_report.py [--repeat 5]`."""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from analysis.inputs.dataset import load_dataset
from analysis.publication import kernel_parent, kernels, publish

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "papi-provinces"
CLI = Path(sys.executable).parent / "par-report"
# WeasyPrint imported as the run imports it (`pdf.import_weasyprint`)
RENDER = ("import sys; from analysis.publication.pdf import import_weasyprint; HTML = import_weasyprint().HTML; "
          "HTML(string=open(sys.argv[1], encoding='utf-8').read(), base_url=None).render()"
          ".write_pdf(sys.argv[2], pdf_variant='pdf/ua-1')")


def wall(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall_cpu(fn) -> tuple[float, float]:
    """Wall and CPU seconds of `fn()`, whose work is done in child processes."""
    cpu = children_cpu()
    return wall(fn), children_cpu() - cpu


def run_report(out: Path) -> None:
    subprocess.run([str(CLI), "run", "--data", str(DATA), "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kernel_floor() -> None:
    """Two kernels started in parallel as jupyter_client starts a kernel (each a new Python
    process), each doing the notebook's imports. (A run forks its two kernels from one process
    that imports once: `kernels.start_kernels`.)"""
    def start(_):
        km = kernels.LocalKernelManager(kernel_name="python3")
        km.start_kernel(extra_arguments=kernel_parent.KERNEL_ARGS)
        kernels.silently(km, "__import__('analysis.publication.report')")
        return km
    with ThreadPoolExecutor(2) as pool:
        kernels.stop_kernels(list(pool.map(start, range(2))))


def pdf_pages(run: Path, tmp: Path) -> list[Path]:
    """The two editions' PDF pages (print stylesheet) of a finished run, as HTML files."""
    ds = load_dataset(DATA)
    pages = []
    for lang in ("vi", "en"):
        page = tmp / f"{lang}.html"
        html, = publish.notebook_html(run / lang / "report.ipynb", lang, "title",
                                      [publish.css(lang, bool(ds.config.synthetic), True)])
        page.write_text(html, encoding="utf-8")
        pages.append(page)
    return pages


def render_floor(pages: list[Path], tmp: Path) -> None:
    """WeasyPrint rendering both pages in parallel, each in its own process."""
    children = [subprocess.Popen([sys.executable, "-c", RENDER, str(p), str(tmp / f"{p.stem}.pdf")]) for p in pages]
    for child in children:
        if child.wait():
            raise RuntimeError("WeasyPrint failed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_report(tmp / "out")   # warm-up; its notebooks give the floor's pages
        published = next(p for p in (tmp / "out" / DATA.name).iterdir() if p.is_symlink())
        pages = pdf_pages(published.resolve(), tmp)
        runs, cpus, colds, cold_cpus, kernels, renders = [], [], [], [], [], []
        for i in range(repeat):
            run_wall, run_cpu = wall_cpu(lambda: run_report(tmp / "out"))
            runs.append(run_wall)
            cpus.append(run_cpu)
            cold_wall, cold_cpu = wall_cpu(lambda: run_report(tmp / f"empty-{i}"))
            colds.append(cold_wall)
            cold_cpus.append(cold_cpu)
            kernels.append(wall(kernel_floor))
            renders.append(wall(lambda: render_floor(pages, tmp)))
            print(f"  #{i + 1}: rerun {runs[-1]:.2f} s ({cpus[-1]:.2f} s CPU); first run {colds[-1]:.2f} s "
                  f"({cold_cpus[-1]:.2f} s CPU); floor {kernels[-1]:.2f} + {renders[-1]:.2f} s; "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    floors = [k + r for k, r in zip(kernels, renders)]
    floor = statistics.median(floors)
    kernel, render = statistics.median(kernels), statistics.median(renders)
    for what, walls, cpu in (("rerun over the previous run", runs, cpus),
                             ("first run, into an empty folder", colds, cold_cpus)):
        run = statistics.median(walls)
        paired = statistics.median(w / f for w, f in zip(walls, floors))
        print(f"par-report run --data {DATA.relative_to(ROOT)} (whole process), {what}, median of "
              f"{repeat}: {run:.2f} s (range {min(walls):.2f}–{max(walls):.2f}), "
              f"{statistics.median(cpu):.2f} s CPU; ratio to the floor: {run / floor:.2f}× "
              f"(median of each run's ratio to the floor of its round: {paired:.2f}×)")
    print(f"floor: two kernels with the report's imports {kernel:.2f} s + WeasyPrint, both PDFs "
          f"in parallel {render:.2f} s = {floor:.2f} s")


if __name__ == "__main__":
    main()
