"""Publishing with no window: at every step of the swap, failed or killed, the published path
names a complete run; concurrent runs are serialised; leftovers of dead runs are removed; a
real folder or a foreign link at the published path is replaced cleanly; output folders that
cannot be written are a clear message."""
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from analysis import cli, pipeline, runfolder
from analysis.indices import tables
from analysis.audit import manifest
from analysis.audit.verify import check_files

DATA = Path(__file__).resolve().parent / "corpus" / "valid"   # two units: a run takes ~1 s


def publish(out: Path) -> Path:
    return pipeline.run(DATA, 2023, formats=(), out_root=out, progress=False)


def assert_complete(final: Path) -> None:
    """`final` is a link to a run folder whose files are exactly those its manifest records."""
    assert final.is_symlink() and final.is_dir()
    assert check_files(final.resolve(), manifest.read(final.resolve())["outputs"]) == []
    assert (final / "tables" / "index_units.csv").is_file()


def leftovers(final: Path) -> list[str]:
    """Everything beside the published run: other run folders, temporary links."""
    runs = [p.name for p in runfolder.runs_folder(final).iterdir() if p != final.resolve()]
    hidden = [p.name for p in final.parent.iterdir()
              if p.name.startswith(".") and p.name not in (f".{final.name}.runs", f".{final.name}.lock")]
    return runs + hidden


def test_the_published_path_links_to_one_complete_run(tmp_path):
    first = publish(tmp_path)
    first_run = first.resolve()
    assert_complete(first)
    assert os.readlink(first) == f".2023.runs/{first_run.name}"       # relative: the tree can move
    again = publish(tmp_path)
    assert again == first and again.resolve() != first_run
    assert not first_run.exists()                                     # the previous run is gone
    assert_complete(again)
    assert leftovers(again) == []
    assert sorted(p.name for p in again.parent.iterdir() if not p.name.startswith(".")) == ["2023"]


class Fault(Exception):
    pass


@pytest.mark.parametrize("step", runfolder.STEPS)
def test_a_failure_at_every_step_leaves_a_complete_output(step, tmp_path, monkeypatch):
    final = publish(tmp_path)
    before = final.resolve()

    def fail(at):
        if at == step:
            raise Fault(at)
    monkeypatch.setattr(runfolder, "FAULT_HOOK", fail)
    with pytest.raises(Fault):
        publish(tmp_path)
    assert_complete(final)
    switched = step in ("switched", "removed")
    assert (final.resolve() != before) == switched                  # old run until the switch
    monkeypatch.setattr(runfolder, "FAULT_HOOK", None)
    publish(tmp_path)
    assert_complete(final)
    assert leftovers(final) == []


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from analysis import cli, pipeline, runfolder
step = sys.argv[1]
def hook(at):
    if at == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if at == "built" and step == "wait":             # hold the lock until told to go on
        import time
        go = Path(sys.argv[3]) / "go"
        while not go.exists():
            time.sleep(0.05)
runfolder.FAULT_HOOK = hook
sys.exit(cli.main(["run", "--data", sys.argv[2], "--year", "2023", "--format", "", "--out",
                   sys.argv[3], "--quiet"]))
"""


def start(step: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", KILLED_RUN, step, str(DATA), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("step", runfolder.STEPS)
def test_a_kill_at_every_step_leaves_a_complete_output_and_the_next_run_cleans_up(step, tmp_path):
    final = publish(tmp_path)
    before = final.resolve()
    proc = start(step, tmp_path)
    proc.communicate(timeout=120)
    assert proc.returncode == -9
    assert_complete(final)
    assert (final.resolve() != before) == (step in ("switched", "removed"))
    publish(tmp_path)
    assert_complete(final)
    assert leftovers(final) == []


def test_two_concurrent_runs_are_serialised(tmp_path):
    publish(tmp_path)
    final = tmp_path / "corpus" / "2023"
    first = start("wait", tmp_path)               # builds, then holds the lock until "go"
    deadline = time.time() + 60
    while not list(runfolder.runs_folder(final).glob(f"*-{first.pid}-*")) and time.time() < deadline:
        time.sleep(0.05)
    second = start("none", tmp_path)
    waiting = second.stderr.readline()            # the second run says it waits
    (tmp_path / "go").touch()
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    err2 = waiting + err2
    assert (first.returncode, second.returncode) == (0, 0), err1 + err2
    assert f"another run (process {first.pid}) is publishing it; waiting" in waiting
    assert "Traceback" not in err1 + err2
    assert_complete(final)
    assert f"-{second.pid}-" in final.resolve().name       # the later run is published
    assert leftovers(final) == []


def test_a_run_waits_at_most_par_report_wait_seconds_then_says_who_holds_the_lock(tmp_path, monkeypatch, capsys):
    import fcntl
    final = publish(tmp_path)
    before = final.resolve()
    holder = open(final.parent / f".{final.name}.lock", "w", encoding="utf-8")
    holder.write("4242")
    holder.flush()
    other = os.open(holder.name, os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)                 # another run holds the lock
    try:
        monkeypatch.setenv("PAR_REPORT_WAIT", "0.5")
        started = time.monotonic()
        code = cli.main(["run", "--data", str(DATA), "--year", "2023", "--format", "", "--out",
                         str(tmp_path), "--quiet"])
        waited = time.monotonic() - started
    finally:
        os.close(other)
        holder.close()
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "another run (process 4242) is still publishing it after 0.5 s" in err
    assert "PAR_REPORT_WAIT" in err and waited >= 0.5
    assert final.resolve() == before                  # nothing published, the old run kept
    monkeypatch.setenv("PAR_REPORT_WAIT", "soon")
    assert cli.main(["run", "--data", str(DATA), "--year", "2023", "--format", "", "--out",
                     str(tmp_path), "--quiet"]) == 0  # free lock: the setting is not even read


def test_a_real_folder_from_an_older_version_is_swapped_for_the_link(tmp_path, monkeypatch):
    final = tmp_path / "corpus" / "2023"
    final.mkdir(parents=True)
    (final / "old.txt").write_text("old")
    publish(tmp_path)
    assert_complete(final)
    assert not (final / "old.txt").exists() and leftovers(final) == []
    # where renameat2(RENAME_EXCHANGE) is unavailable, the folder is moved aside first
    final.unlink()
    final.mkdir()
    monkeypatch.setattr(runfolder, "_exchange", lambda a, b: False)
    publish(tmp_path)
    assert_complete(final)
    assert leftovers(final) == []


def test_a_foreign_link_at_the_published_path_is_replaced_and_its_target_kept(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    final = tmp_path / "out" / "corpus" / "2023"
    final.parent.mkdir(parents=True)
    final.symlink_to(elsewhere)
    publish(tmp_path / "out")
    assert_complete(final)
    assert (elsewhere / "keep.txt").read_text() == "keep"
    assert leftovers(final) == []


def test_an_output_root_that_is_a_link_is_followed(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    publish(tmp_path / "link")
    assert_complete(real / "corpus" / "2023")


def run_cli(out: Path, capsys) -> tuple[int, str]:
    code = cli.main(["run", "--data", str(DATA), "--year", "2023", "--format", "",
                     "--out", str(out), "--quiet"])
    return code, capsys.readouterr().err


def test_out_naming_a_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, err = run_cli(tmp_path / "file", capsys)
    assert code == 1 and "Traceback" not in err
    assert str(tmp_path / "file") in err and "--out must name a folder" in err
    (tmp_path / "out" / "corpus").mkdir(parents=True)
    (tmp_path / "out" / "corpus" / "2023").write_text("x")
    code, err = run_cli(tmp_path / "out", capsys)
    assert code == 1 and "is a file" in err and "Traceback" not in err


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "No space left on device — free some space"),
    (errno.EROFS, "Read-only file system — choose an --out folder you may write to"),
    (errno.EACCES, "Permission denied — choose an --out folder you may write to")])
def test_an_unwritable_output_is_a_clear_error_and_keeps_the_previous_run(
        code, words, tmp_path, monkeypatch, capsys):
    """A full disk, a read-only file system, a folder without write permission: simulated by
    the error the system gives when a table is written (root may write anywhere)."""
    final = publish(tmp_path)
    before = final.resolve()

    def refuse(results, folder):
        raise OSError(code, os.strerror(code), str(folder / "index_units.csv"))
    monkeypatch.setattr(tables, "write_tables", refuse)
    status, err = run_cli(tmp_path, capsys)
    assert status == 1 and words in err and "index_units.csv" in err and "Traceback" not in err
    assert final.resolve() == before
    assert_complete(final)
    assert leftovers(final) == []


def test_a_read_only_output_folder():
    """A real folder without write permission (as root, the run is made as user nobody)."""
    with tempfile.TemporaryDirectory() as tmp:   # under /tmp: pytest's folders are root's only
        top = Path(tmp)
        top.chmod(0o755)
        ro, home = top / "ro", top / "home"
        ro.mkdir()
        home.mkdir()
        ro.chmod(0o555)
        home.chmod(0o777)
        argv = [str(Path(sys.executable).parent / "par-report"), "run", "--data", str(DATA),
                "--year", "2023", "--format", "", "--out", str(ro), "--quiet"]
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("root may write anywhere, and setpriv is missing to run as nobody")
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "HOME": str(home), "MPLCONFIGDIR": str(home)})
    assert done.returncode == 1, done.stderr
    assert done.stderr == (f"cannot write {ro / 'corpus'}: Permission denied — choose an --out "
                           "folder you may write to\n")


@pytest.fixture
def ctrl_c():
    """Python's own Ctrl-C handler for the test, whatever this process inherited: a background
    job of a shell without job control (`cmd &` in a script, as CI may run the tests) starts
    with SIGINT ignored, and Python then leaves it ignored."""
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, inherited)


def test_ctrl_c_during_the_imports_is_raised_once_they_are_done(ctrl_c):
    """`interrupt_after`: a SIGINT inside the block does not stop it midway (an import stopped
    midway can leave its module's lock held, or abort a C extension's set-up); it is raised as
    KeyboardInterrupt when the block ends, and the handler before it is back."""
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with runfolder.interrupt_after():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)   # a KeyboardInterrupt would be raised here without the hold
            reached.append("end of block")
    assert reached == ["end of block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with runfolder.interrupt_after():   # no signal, nothing raised
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    errors = []

    def elsewhere():   # only the main thread may set handlers: outside it, nothing is held
        try:
            with runfolder.interrupt_after():
                pass
        except Exception as err:
            errors.append(err)
    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert errors == []
