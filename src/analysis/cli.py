"""The `par-report` command: run, validate, verify, explain, synth (data/README.md, README.md).

Exit status: 0 success; 1 invalid input or a failed check (nothing published); 2 usage error.
"""
from __future__ import annotations

import argparse
import atexit
import os
import re
import sys
from pathlib import Path

# One BLAS thread, unless the user chose otherwise: the run's matrices are small (the index's
# 10,000 draws × 8 dimensions, regressions over 63 units), and on them OpenBLAS's threads cost
# 20 times one thread's time (a 10,000 × 8 by 8 × 61 product: 7.7 ms of CPU against 0.38 ms),
# on cores the editions' kernels need. Read when NumPy loads, so set before anything imports it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from analysis import __version__  # noqa: E402
# The rest of the package (and with it jupyter_client, zmq …) is imported by `main`, with
# Ctrl-C held back until the imports are done (`runfolder.interrupt_after`), then within
# `entry`, which ends a Ctrl-C quietly.


def _list(allowed: tuple[str, ...]):
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(i.strip() for i in text.split(",") if i.strip())
        unknown = [i for i in items if i not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
        return items
    return parse


def _period(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text.strip()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a month; write YYYY-MM, e.g. 2025-10")
    return text.strip()


def _span(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{4})\s*[-–]\s*(\d{4})\s*", text)
    if not match or int(match[1]) >= int(match[2]):
        raise argparse.ArgumentTypeError(f"'{text}' is not a span of years; write FIRST-LAST, "
                                         "e.g. 2011-2024")
    return int(match[1]), int(match[2])


def _name(text: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", text):
        raise argparse.ArgumentTypeError(f"'{text}' must be lower-case letters, digits, '-' or '_'")
    return text


def _path(text: str) -> Path:
    if "\x00" in text:
        raise argparse.ArgumentTypeError("a path cannot hold a NUL character (\\x00)")
    return Path(text)


def parser() -> argparse.ArgumentParser:
    from analysis.pipeline import FORMATS, LANGS
    p = argparse.ArgumentParser(
        prog="par-report", description=__doc__.splitlines()[0],
        epilog="Datasets: data/README.md. Publishing from JupyterLab: docs/PUBLISHING.md.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compute the tables and publish the editions of one year")
    run.add_argument("--data", type=_path, required=True, help="dataset folder")
    when = run.add_mutually_exclusive_group()
    when.add_argument("--year", type=int,
                      help="assessment year (default: the dataset's default_year)")
    when.add_argument("--period", type=_period,
                      help="a month YYYY-MM (datasets of dossier records: the monthly index; "
                           "default: the dataset's default_period)")
    when.add_argument("--years", type=_span,
                      help="a span FIRST-LAST: the series report of those years")
    run.add_argument("--profiles", action="store_true",
                     help="also one page per unit (<lang>/profiles/<unit_id>.pdf and profiles.pdf)")
    run.add_argument("--lang", type=_list(LANGS), default=LANGS, help="editions, e.g. vi,en")
    run.add_argument("--format", type=_list(FORMATS), default=FORMATS,
                     help='publication formats, e.g. html,pdf,xlsx ("" = tables and manifest only)')
    run.add_argument("--out", type=_path, default=Path("reports"), help="output root (default reports/)")
    run.add_argument("--pdfa", action="store_true", help="also write an archival PDF/A-3b edition")
    run.add_argument("--final", action="store_true",
                     help="refuse (exit 1, naming each reason) to publish a draft: a published figure "
                          "that does not reconcile or a method mapping marked confirmed: false")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--explain", action="store_true",
                     help="also write explain/explain.ipynb: the leader's, the laggard's and every "
                          "flagged unit's figures recomputed step by step")
    val = sub.add_parser("validate", help="check every file of a dataset folder")
    val.add_argument("--data", type=_path, required=True)
    ver = sub.add_parser("verify", help="check a run's files against its manifest, then redo the "
                                        "run as recorded and compare every file")
    ver.add_argument("run_dir", type=_path)
    ver.add_argument("--tables-only", action="store_true",
                     help="rerun and compare the tables only (seconds, not the whole publication)")
    ver.add_argument("--data", type=_path, default=None,
                     help="the dataset folder, when the run folder was moved or copied away from "
                          "where the manifest records it (relative to the run folder)")
    exp = sub.add_parser("explain", help="working papers: one unit's figures recomputed step by "
                                         "step (a notebook, executed into the run folder)")
    exp.add_argument("--data", type=_path, required=True, help="dataset folder")
    exp.add_argument("--year", type=int, required=True, help="assessment year")
    exp.add_argument("--unit", required=True, help="the unit's id (units.csv unit_id)")
    exp.add_argument("--out", type=_path, default=Path("reports"), help="output root (default reports/)")
    syn = sub.add_parser("synth", help="write a seeded synthetic dataset")
    syn.add_argument("kind", choices=["demo-mps", "ballots", "dossiers"],
                     help="demo-mps: the MPS demo; ballots: a large ballot file with planted "
                          "anomalies; dossiers: Decision 766 dossier records (Parquet parts)")
    syn.add_argument("--out", type=_path, required=True)
    syn.add_argument("--seed", type=int, default=None)
    syn.add_argument("--name", type=_name, default=None,
                     help="the dataset's name in dataset.yaml (default: demo-mps, "
                          "synthetic-ballots or demo-dossiers)")
    syn.add_argument("--rows", type=int, default=None,
                     help="ballots (default 1,000,000) or dossiers a year (default 200,000)")
    syn.add_argument("--units", type=int, default=500, help="units (kind ballots)")
    syn.add_argument("--questions", type=int, default=8, help="questions (kind ballots)")
    syn.add_argument("--integer-ids", action="store_true",
                     help="ballot ids as integers, not text (kind ballots)")
    return p


def _when(args) -> tuple[int | None, str | None]:
    """The year and period to report: --year or --period; (None, None): the dataset's default,
    read by `pipeline.run` once the report's kernels are starting (`inputs.dataset.default_when`)."""
    if args.period:
        return int(args.period[:4]), args.period
    return args.year, None


def main(argv: list[str] | None = None) -> int:
    from analysis.runfolder import OutputError, explain, interrupt_after
    with interrupt_after():
        from analysis.audit.release import DraftError
        from analysis.inputs.errors import InputError
        from analysis.pipeline import FORMATS  # noqa: F401
        from analysis.publication.kernel_parent import NotebookError
    args = parser().parse_args(argv)
    try:
        if args.command == "run":
            if args.years and args.profiles:
                parser().error("--profiles goes with a yearly run (--year), not with --years")
            from analysis.pipeline import run
            year, period = (None, None) if args.years else _when(args)
            folder = run(args.data, year, args.lang, args.format, args.out,
                         progress=not args.quiet, archival=args.pdfa, period=period,
                         require_final=args.final, explain=args.explain, profiles=args.profiles,
                         years=args.years)
            print(f"published {folder}")
        elif args.command == "validate":
            from analysis.validate import validate
            print(validate(args.data))
        elif args.command == "explain":
            from analysis.explain import explain as working_papers
            from analysis.pipeline import run
            print(f"wrote {working_papers(args.data, args.year, args.unit, args.out, run)}")
        elif args.command == "verify":
            from analysis.audit.verify import verify
            from analysis.pipeline import run as rerun
            ok, report = verify(args.run_dir, rerun, tables_only=args.tables_only, data_dir=args.data)
            print(report)
            return 0 if ok else 1
        elif args.command == "synth":
            kwargs = {} if args.seed is None else {"seed": args.seed}
            if args.kind == "demo-mps":
                from analysis.synth.demo_mps import make_demo_mps
                make_demo_mps(args.out, **kwargs)
            elif args.kind == "ballots":
                from analysis.synth.ballots import make_ballot_dataset
                make_ballot_dataset(args.out, args.rows or 1_000_000, n_units=args.units,
                                    questions=args.questions, integer_ids=args.integer_ids,
                                    **kwargs)
            else:
                from analysis.synth.dossiers import make_demo_dossiers
                make_demo_dossiers(args.out, dossiers_per_year=args.rows or 200_000, **kwargs)
            if args.name:
                from analysis.synth import rename
                rename(args.out, args.name)
            print(f"wrote {args.out}")
    except (InputError, NotebookError, OutputError, DraftError) as err:
        print(err, file=sys.stderr)
        return 1
    except OSError as err:   # `synth --out` a folder that cannot be written (run: OutputError)
        output = explain(err, args.out) if args.command == "synth" else None
        if output is None:
            raise
        print(output, file=sys.stderr)
        return 1
    return 0


def entry() -> None:
    """The `par-report` command: `main`, then the process ends as soon as its exit handlers
    have run (temporary files removed, logs flushed). Python's own teardown of the modules a run
    imports (pandas, SciPy, statsmodels, DuckDB …) frees nothing that is still to be written and
    took about 0.4 s after every command."""
    try:
        code = main()
    except KeyboardInterrupt:   # Ctrl-C: the run folder was removed, the kernels stopped
        print("\ninterrupted: nothing was published; what was published before is unchanged",
              file=sys.stderr)
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)
