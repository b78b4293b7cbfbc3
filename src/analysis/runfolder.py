"""Publishing a run with no window: `OUT/<dataset>/<key>` always names a complete run.

Layout beside the published path (key = a year or a month):

    OUT/<dataset>/<key>            symbolic link → .<key>.runs/<run id>   (what users open)
    OUT/<dataset>/.<key>.runs/     one immutable folder per run; only the linked one is kept
    OUT/<dataset>/.<key>.lock      held (flock) by the run publishing <key>

A run takes the lock (a second run of the same dataset and key waits for it, saying so, at most
`PAR_REPORT_WAIT` seconds, 1800 unless set, then gives up with an OutputError naming the holder),
removes what dead runs left (every folder in `.runs` but the linked one, stray temporary
links), builds into a new folder of `.runs`, then switches: it makes a temporary link to the
new folder and renames it over the published path. rename(2) replaces a link atomically
(POSIX), so a reader, a crash or a power cut sees either the previous run or the new one,
never neither; the previous run is removed only after the switch. The first run over a
published path that is a real folder (made by an older version) swaps the two with
renameat2(RENAME_EXCHANGE) (Linux ≥ 3.15), or, where that is unavailable, moves the folder
aside first (the one place with a window, once). The new run's files and folders are flushed to
disk (fsync) before the switch, and the folder holding the link after it, so a power cut
cannot leave the link naming files that were never written. Folders are made with os.mkdir, so their
permissions are those the user's umask gives (0755 under umask 022).

`FAULT_HOOK`, when set, is called with the name of each step of the swap (`STEPS`): tests
use it to fail or kill a run at every step.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

STEPS = ("locked", "cleaned", "built", "linked", "switched", "removed")
FAULT_HOOK: Callable[[str], None] | None = None
RENAME_EXCHANGE = 2          # linux/fs.h
AT_FDCWD = -100              # fcntl.h


class OutputError(Exception):
    """The output folder cannot be written (a file in the way, read-only, full disk)."""


_WRITABLE = "choose an --out folder you may write to"
FIXES = {errno.ENOSPC: "free some space or choose an --out on another disk",
         errno.EDQUOT: "free some space or choose an --out on another disk",
         errno.EROFS: _WRITABLE, errno.EACCES: _WRITABLE, errno.EPERM: _WRITABLE,
         errno.ENOTDIR: "--out must name a folder (a file stands where a folder is needed)",
         errno.EEXIST: "--out must name a folder (a file stands where a folder is needed)",
         errno.ENAMETOOLONG: "choose a shorter --out"}


def _step(name: str) -> None:
    if FAULT_HOOK is not None:
        FAULT_HOOK(name)


def runs_folder(final: Path) -> Path:
    return final.parent / f".{final.name}.runs"


def _current(final: Path) -> Path | None:
    """The run folder the published path links to, if it is one of ours."""
    if final.is_symlink():
        target = final.parent / os.readlink(final)
        if target.parent == runs_folder(final):
            return target
    return None


def wait_limit() -> float:
    """How long a run waits for another run of the same dataset and key (`PAR_REPORT_WAIT`, s)."""
    try:
        return max(0.0, float(os.environ.get("PAR_REPORT_WAIT", "1800")))
    except ValueError:
        raise OutputError(f"PAR_REPORT_WAIT={os.environ['PAR_REPORT_WAIT']!r} is not a number of "
                          "seconds: set it to e.g. 1800, or unset it") from None


@contextmanager
def _lock(final: Path) -> Iterator[None]:
    """Hold `.<key>.lock`; if another run holds it, say so on stderr and wait for it, at most
    `wait_limit()` seconds (then OutputError: nothing is published, the other run goes on)."""
    handle = open(final.parent / f".{final.name}.lock", "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            print(f"{final}: another run (process {holder}) is publishing it; waiting for it to "
                  "finish", file=sys.stderr, flush=True)
            deadline = time.monotonic() + wait_limit()
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise OutputError(
                            f"{final}: another run (process {holder}) is still publishing it after "
                            f"{wait_limit():g} s of waiting; nothing was published — run again when "
                            "it has finished, stop it, or wait longer (PAR_REPORT_WAIT=seconds)") from None
                    time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()   # closing releases the lock


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _clean(final: Path) -> None:
    """Remove what dead runs left: every run folder but the published one, temporary links
    and the hidden folders of older versions (`.<key>.partial-*`, `.<key>.old-*`)."""
    keep = _current(final)
    runs = runs_folder(final)
    if runs.is_dir():
        for path in runs.iterdir():
            if path != keep:
                _remove(path)
    for pattern in (f".{final.name}.link-*", f".{final.name}.partial-*", f".{final.name}.old-*"):
        for path in final.parent.glob(pattern):
            _remove(path)


def _sync(path: Path) -> None:
    """Flush a file or folder to disk (fsync), so after a power cut the link names written data."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_tree(folder: Path) -> None:
    for here, _, files in os.walk(folder):
        for name in files:
            _sync(Path(here) / name)
        _sync(Path(here))


def _exchange(a: Path, b: Path) -> bool:
    """Swap `a` and `b` atomically (renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _switch(link: Path, final: Path) -> None:
    """Make `final` the link `link` (atomically), keeping what `final` was until then."""
    if final.is_dir() and not final.is_symlink():   # a real folder, from an older version
        if _exchange(link, final):
            _step("switched")
            _remove(link)                           # now the old folder
            return
        aside = runs_folder(final) / "previous"
        final.rename(aside)
        os.replace(link, final)
        _step("switched")
        _remove(aside)
        return
    os.replace(link, final)
    _step("switched")


@contextmanager
def publishing(final: Path) -> Iterator[Path]:
    """Yield a new, empty run folder; when the block succeeds it becomes `final`. On failure
    the new folder is removed and `final` stays what it was. A folder that cannot be written
    (a file in the way, read-only, full disk) raises OutputError saying so."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with _lock(final):
            _step("locked")
            if final.exists() and not final.is_dir():
                raise OutputError(f"{final} is a file, not a run folder: move it away or choose "
                                  "another --out")
            _clean(final)
            _step("cleaned")
            previous = _current(final)
            runs_folder(final).mkdir(exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            folder = runs_folder(final) / f"{stamp}-{os.getpid()}-{secrets.token_hex(4)}"
            folder.mkdir()
            link = final.parent / f".{final.name}.link-{os.getpid()}"
            try:
                yield folder
                _sync_tree(folder)
                _step("built")
                link.symlink_to(Path(runs_folder(final).name) / folder.name)
                _step("linked")
                _switch(link, final)
                _sync(final.parent)
            except BaseException:
                _remove(link)
                if _current(final) != folder:
                    _remove(folder)
                raise
            if previous is not None:
                _remove(previous)
            _step("removed")
    except OSError as err:
        output = explain(err, final)
        if output is None:
            raise
        raise output from None


@contextmanager
def interrupt_after() -> Iterator[None]:
    """Ctrl-C (SIGINT) held back until the block has ended, then delivered: for the block's
    imports. An import stopped midway can leave its module's import lock held for good (CPython
    3.11; a thread importing the same module then waits forever) or abort a C extension's set-up
    (DuckDB's: "Critical nanobind error", the process killed by SIGABRT, seen in 1 of 150
    interrupted runs). Outside the main thread, which alone receives signals, or where the
    handler was not set from Python (so could not be put back), nothing is held."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is None:
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)   # to the handler restored: KeyboardInterrupt


def explain(err: OSError, where: Path) -> OutputError | None:
    """The OutputError saying why `where` cannot be written, for the errors a user can fix."""
    if err.errno not in FIXES:
        return None
    return OutputError(f"cannot write {err.filename or where}: {err.strerror} — {FIXES[err.errno]}")
