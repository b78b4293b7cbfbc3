"""The report's kernels: started ahead of their notebooks, on local sockets, stopped quietly.

Light on purpose (jupyter_client only): a run starts its editions' kernels before it imports
the rest of the package, so their start overlaps the parent's own imports and the tables.
"""
from __future__ import annotations

import tempfile
import uuid
from functools import cached_property
from pathlib import Path

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session
from traitlets import default


class LocalKernelManager(KernelManager):
    """The report's kernel talks over local IPC sockets rather than TCP ports: nothing listens on
    the network, and ipykernel has no unencrypted-TCP warning to print on every run."""

    @default("transport")
    def _transport(self):
        return "ipc"

    @default("ip")
    def _ip(self):   # each kernel its own socket files (two editions run side by side)
        return str(Path(tempfile.gettempdir()) / f"par-report-kernel-{uuid.uuid4().hex}")

    @cached_property
    def quiet_client(self) -> BlockingKernelClient:
        """The client of `silently`, one for the kernel's life and made ready once: a new
        client's `wait_for_ready` ends by waiting 0.2 s for IOPub to fall silent, which was
        twice an edition on the way of a run (before its notebook, before its PDF). Its own
        session: it also receives the notebook's messages, which a session shared with the
        notebook's client would refuse as replayed ("Duplicate Signature")."""
        client = self.client(session=Session(key=self.session.key,
                                             signature_scheme=self.session.signature_scheme))
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


def start_kernel(pdf: bool = False) -> LocalKernelManager:
    """A report kernel started ahead of its notebook, with the notebook's imports already done
    (and WeasyPrint's, when it is to render the edition's PDF: `write_edition_pdf`), so the
    start overlaps the computing of the tables. What it runs before the notebook runs silently:
    the kernel's execution count, hence the kept notebook, is as if papermill had started it
    (papermill leaves a kernel it did not start running: `stop_kernel`)."""
    km = LocalKernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"])  # as nbclient does
    code = "__import__('analysis.publication.report')"   # nothing bound
    if pdf:
        code += ", __import__('weasyprint')"
    try:
        silently(km, code)
    except BaseException:
        stop_kernel(km)
        raise
    return km


def silently(km: LocalKernelManager, code: str, timeout: float = 120) -> None:
    """Run `code` in the kernel without a trace in its history or execution count."""
    reply = km.quiet_client.execute_interactive(code, silent=True, timeout=timeout)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the report kernel could not run {code!r}: {reply['content'].get('evalue')}")


def stop_kernel(km: LocalKernelManager) -> None:
    """Stop a report kernel at once (SIGKILL) and remove its socket files: its notebook is saved
    and it keeps nothing else (history in memory), so the polite shutdown request would only add
    about a second per kernel to the end of every run."""
    if "quiet_client" in vars(km):
        km.quiet_client.stop_channels()
    if km.has_kernel:
        km.shutdown_kernel(now=True)
    km.cleanup_resources()


class NotebookError(Exception):
    """The report notebook failed; the failed copy is kept (outside the run) for diagnosis."""


