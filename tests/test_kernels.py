"""The report's kernels (publication.kernels): the editions' kernels are forked from one process
that did their imports once, each runs as a kernel jupyter_client started would (its own
session, signals to its group), and none outlives the run, stopped or killed."""
import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from queue import Empty
from pathlib import Path

import pytest
from jupyter_client.session import Session

from analysis.publication import kernel_parent, kernels

ROOT = Path(__file__).resolve().parents[1]


def gone(pid: int) -> bool:
    """The process has ended (a zombie, ended but not yet reaped, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_gone(pids, seconds=15.0) -> list[int]:
    """The pids still running after `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not all(gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not gone(p)]


def ask(km, expression: str) -> str:
    reply = km.quiet_client.execute_interactive("", silent=True, user_expressions={"x": expression})
    return reply["content"]["user_expressions"]["x"]["data"]["text/plain"]


def test_the_kernels_are_forked_from_one_process_that_imported_their_modules():
    kms = kernels.start_kernels(2, pdf=True)
    try:
        pids = [km.provisioner.pid for km in kms]
        parents = {int(ask(km, "__import__('os').getppid()")) for km in kms}
        assert len(parents) == 1 and os.getpid() not in parents   # one parent, not this process
        forker, = parents
        assert forker == kms[0].forker.pid
        for km, pid in zip(kms, pids):
            assert int(ask(km, "__import__('os').getpid()")) == pid
            assert os.getsid(pid) == pid   # its own session, as jupyter_client starts a kernel
            # imported before the fork: the notebook's modules and WeasyPrint are there already
            assert ask(km, "all(m in __import__('sys').modules for m in "
                           "('analysis.publication.report', 'weasyprint'))") == "True"
            # a fresh kernel: nothing run in it counts (the notebook's first cell is [1])
            assert ask(km, "get_ipython().execution_count") == "1"
        # the connection files differ: each edition talks to its own kernel
        assert len({km.connection_file for km in kms}) == 2
    finally:
        kernels.stop_kernels(kms)
    assert wait_gone(pids + [forker], 1) == []
    assert not any(os.path.exists(km.connection_file) for km in kms)


def test_an_interrupt_reaches_a_forked_kernel():
    km, = kernels.start_kernels(1)
    try:
        client = km.quiet_client   # a blocking client (papermill's is asynchronous)
        client.execute("import time; time.sleep(60)")
        time.sleep(0.5)
        km.interrupt_kernel()
        reply = client.get_shell_msg(timeout=10)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        kernels.stop_kernels([km])


def client_of(km, kind):
    """A new client of the kernel `km` of the class `kind`, with a session of its own."""
    client = kind(**{**km.get_connection_info(session=True), "session": Session(
        key=km.session.key, signature_scheme=km.session.signature_scheme)})
    client.start_channels()
    return client


def test_a_kernel_is_ready_once_its_iopub_answers_and_a_dead_one_is_an_error():
    km, = kernels.start_kernels(1)
    try:
        client = client_of(km, kernels._QuietClient)
        client.wait_for_ready(timeout=10)
        # ready means IOPub reaches the client: a cell's output arrives (without readiness, a
        # SUB socket not yet joined misses the first messages)
        seen = []
        client.execute_interactive("print('hello')", output_hook=seen.append, timeout=10)
        assert any(m["msg_type"] == "stream" and m["content"]["text"] == "hello\n" for m in seen)
        os.kill(km.provisioner.pid, signal.SIGKILL)
        start = time.monotonic()
        with pytest.raises(kernels.NotebookError, match="stopped before it answered"):
            client.wait_for_ready(timeout=30)
        assert time.monotonic() - start < 15
        client.stop_channels()
    finally:
        kernels.stop_kernels([km])


def test_papermills_client_is_ready_without_waiting_for_silence():
    """nbclient makes its client ready as each notebook starts; jupyter_client's wait for that
    ended by reading IOPub until 0.2 s passed without a message, while both kernels stood
    idle. The report's client ends on the kernel's own "idle", never on a wait that times out."""
    km, = kernels.start_kernels(1)
    try:
        client = km.client()
        assert isinstance(client, kernels._NotebookClient)
        client.start_channels()
        asyncio.run(client.wait_for_ready(timeout=10))   # once: its sockets join
        waits = []
        get_msg = client.iopub_channel.get_msg

        async def recorded(timeout=None):
            try:
                return await get_msg(timeout=timeout)
            except Empty:
                waits.append(timeout)
                raise
        client.iopub_channel.get_msg = recorded
        asyncio.run(client.wait_for_ready(timeout=10))
        assert waits == []
        reply = asyncio.run(client.execute("1 + 1", reply=True, timeout=10))
        assert reply["content"]["status"] == "ok"
        client.stop_channels()
    finally:
        kernels.stop_kernels([km])


def test_a_new_kernel_whose_first_answers_are_lost_is_asked_again_soon():
    """IOPub drops what a kernel publishes before the client's subscription reaches it. A
    client whose first three answers are lost asks again after 0.05, 0.1 and 0.2 s (each wait
    twice the last, up to a second), not after a second each time, and is ready on the "idle"
    of its latest request, not on that of an earlier one arriving late."""
    class Channel:
        def __init__(self, client):
            self.client, self.waits = client, []

        async def get_msg(self, timeout=None):
            self.waits.append(round(timeout, 2))
            asked = self.client.asked
            if len(asked) <= 3:   # lost: nothing comes within the wait
                raise Empty
            late, latest = asked[0], asked[-1]
            if self.client.late_sent:
                return {"parent_header": {"msg_id": latest}, "msg_type": "status",
                        "content": {"execution_state": "idle"}}
            self.client.late_sent = True   # an earlier request's idle comes first
            return {"parent_header": {"msg_id": late}, "msg_type": "status",
                    "content": {"execution_state": "idle"}}

    class Client:
        def __init__(self):
            self.asked, self.late_sent = [], False
            self.iopub_channel = Channel(self)

        def kernel_info(self):
            self.asked.append(f"request-{len(self.asked) + 1}")
            return self.asked[-1]

        async def is_alive(self):
            return True

    client = Client()
    asyncio.run(kernels._wait_for_ready(client, timeout=60))
    assert client.asked == ["request-1", "request-2", "request-3", "request-4"]
    assert [w <= limit for w, limit in zip(client.iopub_channel.waits, (0.05, 0.1, 0.2, 0.4, 0.4))] \
        == [True] * len(client.iopub_channel.waits)
    assert len(client.iopub_channel.waits) == 5   # request-4: the late idle, then its own


def test_a_wait_on_a_kernel_that_is_stopped_ends_at_once():
    """A run stopped (Ctrl-C) or failing elsewhere stops the kernels while an edition's thread
    waits on one (a PDF being rendered, the dataset being handed over): that wait ends within a
    second or two with a NotebookError. It had spun on the client's closed sockets for ever."""
    km, = kernels.start_kernels(1)
    outcome = []

    def wait_on_kernel():
        try:
            kernels.silently(km, "import time; time.sleep(60)")
        except Exception as err:
            outcome.append(err)
    waiting = threading.Thread(target=wait_on_kernel)
    waiting.start()
    time.sleep(0.5)
    kernels.stop_kernels([km])
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], kernels.NotebookError)
    assert "stopped" in str(outcome[0])


def test_no_kernel_outlives_a_killed_run(tmp_path):
    """The run's process killed (SIGKILL, no cleanup): the kernels' parent sees its standard input
    close, kills the kernels, removes their connection files and sockets, and ends."""
    script = textwrap.dedent("""
        import sys, time
        from analysis.publication import kernels
        kms = kernels.start_kernels(2)
        print(kms[0].forker.pid, *(km.provisioner.pid for km in kms), flush=True)
        print(*(km.connection_file for km in kms), *(f"{km.ip}-{km.shell_port}" for km in kms), flush=True)
        time.sleep(120)
    """)
    run = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in run.stdout.readline().split()]
        files = run.stdout.readline().split()
        assert len(pids) == 3 and not any(gone(p) for p in pids)
        assert len(files) == 4 and all(os.path.exists(f) for f in files)
    finally:
        run.kill()
        run.wait()
    assert wait_gone(pids) == []
    assert not any(os.path.exists(f) for f in files)


def test_an_abandoned_start_leaves_no_kernel_and_no_file():
    """The run stopped (Ctrl-C mid-import) before it connected to the kernels it had begun: their
    parent still forks them, finds the run gone, kills them, removes their files and ends."""
    begun = kernel_parent.begin(2)
    files = list(begun.files)
    begun.abandon()
    assert begun.process.wait(timeout=120) == 0
    assert not any(os.path.exists(f) for f in files)
    left = [int(p) for p in os.listdir("/proc") if p.isdigit() and any(f in cmdline(int(p)) for f in files)]
    assert wait_gone(left) == []


def test_kernels_that_cannot_start_are_a_clear_error(monkeypatch):
    monkeypatch.setattr(kernel_parent.sys, "executable", "/bin/false")
    with pytest.raises(kernels.NotebookError, match="report kernels could not be started"):
        kernels.start_kernels(2)


def test_a_failed_spawn_of_the_kernels_parent_is_a_clear_error(monkeypatch):
    """Seen once as Ctrl-C reached the run's process group while it spawned the kernels' parent:
    Popen raised OSError (EFAULT), which the run printed as a traceback."""
    def failing(*args, **kwargs):
        raise OSError(14, "Bad address")
    monkeypatch.setattr(kernel_parent.subprocess, "Popen", failing)
    with pytest.raises(kernels.NotebookError, match=r"could not be started \(\[Errno 14\] Bad address\)"):
        kernels.start_kernels(2)


def test_no_kernels_start_when_no_edition_is_published():
    assert kernels.start_kernels(0) == []


def test_an_interrupted_run_publishes_nothing_and_leaves_no_kernel(tmp_path):
    """Ctrl-C while the editions' notebooks run: the kernels are stopped, the editions waiting
    for them end (nbclient sees the kernels gone), and the command says so and exits 130."""
    cli = Path(sys.executable).parent / "par-report"
    # Ctrl-C as from a terminal: a command started in the background by a shell without job
    # control (`cmd &` in a script, as CI may run the tests) inherits SIGINT ignored, and Python
    # then leaves it ignored; here the run gets the default, as a terminal's command does
    run = subprocess.Popen([str(cli), "run", "--data", str(ROOT / "data" / "par-ministries"),
                            "--year", "2023", "--out", str(tmp_path)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    forker = None
    end = time.monotonic() + 120
    while forker is None and time.monotonic() < end and run.poll() is None:
        forker = next((int(p) for p in os.listdir("/proc") if p.isdigit() and parent(int(p)) == run.pid
                       and kernel_parent.ENTRY in cmdline(int(p))), None)
        time.sleep(0.05)
    assert forker is not None, "the run's kernels did not start"
    kernel_pids = []
    while len(kernel_pids) < 2 and time.monotonic() < end:
        kernel_pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and parent(int(p)) == forker]
        time.sleep(0.05)
    # the tables are written just before the notebooks start, which then take seconds: a fixed
    # wait from the kernels' start could outlast a fast run (CI once saw exit status 0)
    tables = None
    while tables is None and time.monotonic() < end and run.poll() is None:
        tables = next((tmp_path / "par-ministries").glob(".2023.runs/*/tables/*.csv"), None)
        time.sleep(0.02)
    time.sleep(0.5)   # the notebooks are running
    assert run.poll() is None, "the run ended before it could be interrupted"
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted: nothing was published" in err
    assert "Traceback" not in err
    assert not (tmp_path / "par-ministries" / "2023").exists()
    assert wait_gone([forker, *kernel_pids]) == []


def parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def test_a_kernel_that_dies_mid_notebook_is_a_clear_error(tmp_path):
    """nbclient notices a dead kernel (its client is asynchronous) instead of waiting for ever."""
    import threading
    from analysis.indices.results import compute_results
    from analysis.indices.tables import write_tables
    from analysis.inputs.dataset import load_dataset
    from analysis.publication import publish
    data = ROOT / "data" / "par-ministries"
    write_tables(compute_results(load_dataset(data), 2023, progress=False), tmp_path / "tables")
    km, = kernels.start_kernels(1)
    try:
        threading.Timer(0.5, km.provisioner.process.kill).start()   # the notebook takes seconds
        with pytest.raises(kernels.NotebookError, match="kernel stopped before the notebook finished"):
            publish.execute_notebook(data, 2023, "vi", tmp_path / "tables", tmp_path / "vi", km=km)
    finally:
        kernels.stop_kernels([km])


def test_the_kernels_parent_ends_them_quietly_when_the_run_has_gone():
    """The run ended (Ctrl-C) before its kernels' parent could tell it their process ids: the
    parent kills the kernels it forked and exits, with no BrokenPipeError traceback on the run's
    terminal and no kernel left behind."""
    kms = [kernels.LocalKernelManager(kernel_name="python3") for _ in range(2)]
    for km in kms:
        km.write_connection_file()
    read, write = os.pipe()
    os.close(read)   # the run is gone
    try:
        forker = subprocess.Popen(
            [sys.executable, "-c", kernel_parent.ENTRY,
             str(write), "", *(km.connection_file for km in kms)],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(write,), text=True,
            start_new_session=True)
        os.close(write)
        _, err = forker.communicate(timeout=120)
        assert forker.returncode == 0, err
        assert "Traceback" not in err and "BrokenPipeError" not in err, err
        left = [int(p) for p in os.listdir("/proc") if p.isdigit()
                and any(km.connection_file in cmdline(int(p)) for km in kms)]
        assert wait_gone(left) == []
    finally:
        for km in kms:
            km.cleanup_resources()
