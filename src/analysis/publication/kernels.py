"""The report's kernels: started ahead of their notebooks, on local sockets, stopped quietly.

A run starts its editions' kernels before it imports the rest of the package, so their start
overlaps the run's own imports and the tables. The editions' kernels are forked from one
process (`kernel_parent`), which does the kernels' imports once: a second kernel of its own
would import the same modules again (about 1.5 s of CPU, a seventh of a yearly report's, on a
machine whose two cores the run keeps busy). This module connects to them (jupyter_client).
"""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import uuid
from functools import cached_property
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager
from jupyter_client.provisioning import LocalProvisioner
from jupyter_client.session import Session
from jupyter_client.utils import ensure_async, run_sync
from traitlets import DottedObjectName, default

from analysis.publication import kernel_parent
from analysis.publication.kernel_parent import NotebookError

ASK_AGAIN = 0.05   # seconds between kernel_info requests until a new kernel answers on IOPub


class LocalKernelManager(KernelManager):
    """The report's kernel talks over local IPC sockets rather than TCP ports: nothing listens on
    the network, and ipykernel has no unencrypted-TCP warning to print on every run. Its clients
    (papermill's) are asynchronous: with a blocking client, nbclient's wait for a cell's output
    blocks its event loop, so it never notices a kernel that died (killed, or stopped by a run
    that failed elsewhere) and waits for ever; an asynchronous one lets it check every second
    and raise DeadKernelError."""

    client_class = DottedObjectName("analysis.publication.kernels._NotebookClient")

    @default("transport")
    def _transport(self):
        return "ipc"

    @default("ip")
    def _ip(self):   # each kernel its own socket files (two editions run side by side)
        return str(Path(tempfile.gettempdir()) / f"par-report-kernel-{uuid.uuid4().hex}")

    @cached_property
    def quiet_client(self) -> BlockingKernelClient:
        """The client of `silently`, one for the kernel's life and made ready once.
        Its own session: it also receives the notebook's messages, which a session shared with
        the notebook's client would refuse as replayed ("Duplicate Signature")."""
        client = _QuietClient(**{
            **self.get_connection_info(session=True), "connection_file": self.connection_file,
            "parent": self, "session": Session(key=self.session.key,
                                               signature_scheme=self.session.signature_scheme)})
        client.start_channels()
        client.wait_for_ready(timeout=60)
        return client

    async def _async_interrupt_kernel(self) -> None:
        """No SIGINT on the way to a shutdown: jupyter_client interrupts the kernel before asking
        it to shut down, and ipykernel logs that as "ERROR | KeyboardInterrupt caught in kernel"
        after every successful run. A busy kernel is still stopped: the shutdown request is
        followed by SIGTERM and SIGKILL (`shutdown_wait_time`)."""
        if not self.shutting_down:
            await super()._async_interrupt_kernel()


async def _wait_for_ready(client, timeout: float | None = None) -> None:
    """The report's clients' `wait_for_ready`: until the kernel answers and its IOPub messages
    reach the client, a kernel_info request is sent (again after ASK_AGAIN seconds, then twice
    as long each time up to a second) until IOPub brings the kernel's "idle" after the latest,
    which is also the last message the kernel sends (it answers in order). IOPub drops what the
    kernel publishes before the client's subscription reaches it, so the first answers of a
    kernel just started may never come: asked again each second, one start in three stood idle
    for a second. jupyter_client's own ends by waiting for 0.2 s of silence on IOPub, each
    time: nbclient calls it as each notebook starts, so both kernels stood idle for 0.2 s in
    every run. NotebookError if the kernel dies or the time (default 60 s) is out."""
    timeout = 60 if timeout is None else timeout
    end = time.monotonic() + timeout
    wait = ASK_AGAIN
    while time.monotonic() < end:
        asked = client.kernel_info()
        answered = time.monotonic() + wait
        wait = min(2 * wait, 1.0)   # a kernel slow to answer (a busy machine) has longer each time
        while (left := answered - time.monotonic()) > 0:
            try:
                msg = await ensure_async(client.iopub_channel.get_msg(timeout=left))
            except Empty:
                break
            if msg["parent_header"].get("msg_id") == asked and \
                    msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return
        if not await ensure_async(client.is_alive()):
            raise NotebookError("the report kernel stopped before it answered; nothing was published")
    raise NotebookError(f"the report kernel did not answer in {timeout:.0f} s")


class _NotebookClient(AsyncKernelClient):
    """Papermill's client of a report kernel (`_wait_for_ready`)."""

    wait_for_ready = _wait_for_ready


class _QuietClient(BlockingKernelClient):
    """The client of `silently` (`_wait_for_ready`)."""

    wait_for_ready = run_sync(_wait_for_ready)


class _Forked:
    """A forked kernel seen as jupyter_client sees a kernel it started (a `Popen`'s poll, wait,
    send_signal, kill, terminate); not this process's child, so its exit status is unknown
    (-1 once it is gone: its parent, the process that forked it, reaps it at once)."""
    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:   # ended meanwhile
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def start_kernels(n: int, pdf: bool = False) -> list[LocalKernelManager]:
    """`n` report kernels started ahead of their notebooks, with the notebook's imports already
    done (and WeasyPrint's, when they are to render the editions' PDFs: `write_edition_pdf`):
    `kernel_parent.begin`, then `kernels_ready`."""
    return kernels_ready(kernel_parent.begin(n, pdf))


def kernels_ready(begun: kernel_parent.Begun) -> list[LocalKernelManager]:
    """The kernels of a `kernel_parent.begin`, once each answers: each an ipykernel on its
    connection file, in a session of its own, as jupyter_client starts one. What runs before
    the notebook runs silently: the kernel's execution count, hence the kept notebook, is as if
    papermill had started it (papermill leaves a kernel it did not start running:
    `stop_kernels`)."""
    kms = []
    for file in begun.files:
        km = LocalKernelManager(kernel_name="python3", connection_file=file)
        km.load_connection_file()
        km._connection_file_written = True   # the run's own file: `cleanup_resources` removes it
        kms.append(km)
    if begun.failed:
        _not_started(kms, begun.failed)
    if not kms:
        return []
    forker = begun.process
    with os.fdopen(begun.pids) as pids:
        told = pids.read().split()
    if len(told) != len(kms):
        forker.stdin.close()
        forker.wait()
        _not_started(kms, f"exit code {forker.returncode}; the reason is printed above")
    for km, pid in zip(kms, told):
        km.forker = forker
        km.kernel_id = str(uuid.uuid4())
        km.provisioner = LocalProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
        km.provisioner.process = _Forked(int(pid))
        km.provisioner.pid = km.provisioner.pgid = int(pid)
        km.provisioner.connection_info = km.get_connection_info()
        km._connect_control_socket()
    try:
        for km in kms:
            silently(km, "None")   # ready
    except BaseException:
        stop_kernels(kms)
        raise
    return kms


def _not_started(kms: list[LocalKernelManager], why: str) -> None:
    """Remove the kernels' connection files and raise the NotebookError saying `why` they did
    not start."""
    for km in kms:
        km.cleanup_resources()
    raise NotebookError(f"the report kernels could not be started ({why})")


def silently(km: LocalKernelManager, code: str, timeout: float = 120) -> None:
    """Run `code` in the kernel without a trace in its history or execution count, waiting for
    its reply a second at a time: a kernel stopped meanwhile (a run interrupted or failing
    elsewhere stops them all, `stop_kernels`) is a NotebookError within a second. (jupyter_client's
    `execute_interactive` waited out the whole timeout for a dead kernel, or spun on the client's
    closed sockets: an interrupted run then never ended.)"""
    client = km.quiet_client
    asked = client.execute(code, silent=True, store_history=False)
    end = time.monotonic() + timeout
    while True:
        try:
            reply = client.get_shell_msg(timeout=1)
        except Exception:   # Empty; or the channels closed by `stop_kernels`
            reply = None
        if reply is not None and reply["parent_header"].get("msg_id") == asked:
            break
        if not (km.has_kernel and km.provisioner.process.poll() is None):
            raise NotebookError("the report kernel stopped before it finished; nothing was published")
        if time.monotonic() > end:
            raise NotebookError(f"the report kernel did not answer in {timeout:.0f} s")
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the report kernel could not run {code!r}: {reply['content'].get('evalue')}")


def stop_kernels(kms: list[LocalKernelManager]) -> None:
    """Stop the report kernels at once (SIGKILL) and remove their socket files: a notebook is
    saved and its kernel keeps nothing else (history in memory), so the polite shutdown request
    would only add about a second per kernel to the end of every run. All are killed before
    any is waited for (jupyter_client's own wait polls every 0.1 s); then their parent ends."""
    for km in kms:   # killed first: a thread waiting on `silently` then sees the kernel gone
        if km.has_kernel:
            km.provisioner.process.kill()
    for km in kms:
        if "quiet_client" in vars(km):
            km.quiet_client.stop_channels()
    for km in kms:
        if km.has_kernel:
            km.provisioner.process.wait(timeout=10)
            km.shutdown_kernel(now=True)
        km.cleanup_resources()
    for forker in {km.forker for km in kms if hasattr(km, "forker")}:
        forker.stdin.close()
        forker.wait()
