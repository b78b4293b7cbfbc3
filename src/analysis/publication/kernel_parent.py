"""The report kernels' parent: the first thing a run starts, and the process that forks the kernels.

Light on purpose (the standard library only): `pipeline.run` starts the parent (`begin`)
before it imports anything else, jupyter_client included, so that the parent's imports (the
report's code, ipykernel, WeasyPrint) overlap all of the run's own; `kernels.kernels_ready`
then connects to the kernels it forked. The kernels' connection files are written here as
jupyter_client writes one for a kernel on local IPC sockets (`connection_file`).
"""
from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

ENTRY = "from analysis.publication.kernel_parent import main; main()"
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]   # as nbclient starts a kernel


class NotebookError(Exception):
    """The report notebook failed; the failed copy is kept (outside the run) for diagnosis. (Here,
    where the command imports it before it starts anything: `cli.main`.)"""


@dataclass
class Begun:
    """A kernels' parent on its way: the kernels' connection files, the read end of the pipe on
    which it tells their process ids, the process (None if it could not be started: `failed`
    says why)."""
    files: list[str]
    pids: int | None = None
    process: subprocess.Popen | None = None
    failed: str = ""

    def abandon(self) -> None:
        """Let the parent go before its kernels are connected to (the run stopped meanwhile):
        told so, it kills the kernels it forks, removes their files and ends (`main`)."""
        if self.pids is not None:
            os.close(self.pids)
            self.pids = None
        if self.process is None:
            remove_files(self.files)
        else:
            self.process.stdin.close()


def connection_file() -> str:
    """A new kernel's connection file (mode 0600: it holds the key that signs its messages):
    local IPC sockets `<ip>-<port>` (ports 1–5) under a name of their own, an HMAC-SHA256 key."""
    handle, path = tempfile.mkstemp(prefix="par-report-kernel-", suffix=".json")
    ip = str(Path(tempfile.gettempdir()) / f"par-report-kernel-{uuid.uuid4().hex}")
    info = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
            "ip": ip, "key": uuid.uuid4().hex, "transport": "ipc",
            "signature_scheme": "hmac-sha256", "kernel_name": "python3"}
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    return path


def begin(n: int, pdf: bool = False) -> Begun:
    """Start the parent of `n` report kernels (`main`; with `pdf`, it also imports WeasyPrint),
    in a session of its own (no Ctrl-C from the terminal: the run stops it)."""
    begun = Begun([connection_file() for _ in range(n)])
    if n == 0:
        return begun
    read, write = os.pipe()
    try:
        begun.process = subprocess.Popen([sys.executable, "-c", ENTRY, str(write), "1" if pdf else "",
                                          *begun.files],
                                         stdin=subprocess.PIPE, pass_fds=(write,), start_new_session=True)
        begun.pids = read
    except OSError as err:   # seen once, as Ctrl-C reached the process group mid-spawn: EFAULT
        os.close(read)
        begun.failed = str(err)
    finally:
        os.close(write)
    return begun


def main() -> None:
    """The kernels' parent (`python -c … FD PDF CONNECTION_FILE…`): imports the notebook's
    modules (and WeasyPrint if PDF), warms them (`report.warm_up`), forks one ipykernel per
    connection file, writes their process ids to the file descriptor FD, and waits for them;
    when the run that started it closes its standard input (it stopped, or died), it kills
    those left, so none outlives the run."""
    fd, pdf, *files = sys.argv[1:]
    if sys.path and sys.path[0] == "":   # as ipykernel_launcher: not the caller's folder
        del sys.path[0]
    from analysis.publication import report
    from ipykernel.kernelapp import IPKernelApp
    # what each kernel would import as it starts (its debugger: 0.05 s): once, here, without
    # the debugger's warning about frozen modules, as the kernelspec of ipykernel silences it
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    import ipykernel.debugger  # noqa: F401
    if pdf:
        from analysis.publication.pdf import import_weasyprint
        import_weasyprint()
    report.warm_up()
    gc.freeze()   # what is imported stays: the kernels' collections no longer walk it
    parent = f"--IPKernelApp.parent_handle={os.getpid()}"   # a kernel ends when this process does
    pids = []
    for file in files:
        pid = os.fork()
        if pid == 0:   # the kernel: it never returns to this loop, whatever happens
            code = 0
            try:
                os.close(int(fd))
                os.setsid()
                IPKernelApp.launch_instance(argv=["-f", file, parent, *KERNEL_ARGS])
            except SystemExit as end:
                code = end.code if isinstance(end.code, int) else 0
            except BaseException:   # said on the run's standard error, as a kernel's own failure is
                __import__("traceback").print_exc()
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)
    try:
        os.write(int(fd), " ".join(map(str, pids)).encode())
    except BrokenPipeError:   # the run has ended meanwhile (Ctrl-C): its kernels end with it
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        for pid in pids:
            os.waitpid(pid, 0)
        remove_files(files)
        os._exit(0)
    os.close(int(fd))

    def stop_all():
        sys.stdin.read()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    threading.Thread(target=stop_all, daemon=True).start()
    for _ in pids:
        os.wait()
    remove_files(files)   # the run removes them too, unless it was killed
    os._exit(0)   # at once: tearing down the modules imported above took 0.3 s at the end of every run


def remove_files(files: list[str]) -> None:
    """Remove the kernels' connection files and their IPC sockets, where they are left."""
    for file in files:
        try:
            info = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for port in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            Path(f"{info['ip']}-{info[port]}").unlink(missing_ok=True)
        Path(file).unlink(missing_ok=True)
