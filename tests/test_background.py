"""Work a run hands to a forked process: its failure comes back, its priority is lowered, and
it never outlives the block that started it."""
import os
import signal
import time

import pytest

from analysis.pipeline import in_background, in_processes
from test_kernels import gone


def write_niceness(path):
    path.write_text(str(os.nice(0)))


def fail(message):
    raise ValueError(message)


def test_the_child_runs_at_the_lower_priority_asked(tmp_path):
    with in_background(write_niceness, tmp_path / "nice", nice=5) as wait:
        wait()
    assert int((tmp_path / "nice").read_text()) == min(19, os.nice(0) + 5)


def test_a_failure_in_the_child_is_raised_in_the_parent():
    with in_background(fail, "no such sheet") as wait:
        with pytest.raises(RuntimeError, match="ValueError: no such sheet"):
            wait()
    with pytest.raises(RuntimeError, match="ValueError: a; ValueError: b"):
        in_processes(fail, [("a",), ("b",)])


def sleep_with_pid(path):
    path.write_text(str(os.getpid()))
    time.sleep(60)


def test_a_child_still_running_when_the_run_stops_is_killed(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with in_background(sleep_with_pid, tmp_path / "pid"):
            while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text():
                time.sleep(0.01)
            stopped = time.monotonic()
            raise KeyboardInterrupt   # as a stopped run leaves the block
    assert time.monotonic() - stopped < 10   # not waited for
    with pytest.raises(ProcessLookupError):   # killed and reaped
        os.kill(int((tmp_path / "pid").read_text()), 0)


def test_ctrl_c_is_left_to_the_parent(tmp_path):
    """Ctrl-C reaches the whole process group; a child that took it would print a traceback of
    its own ("Process ForkProcess-1: … KeyboardInterrupt") beside the run's one-line message."""
    with in_background(sleep_with_pid, tmp_path / "pid"):
        while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text():
            time.sleep(0.01)
        pid = int((tmp_path / "pid").read_text())
        os.kill(pid, signal.SIGINT)
        time.sleep(0.5)
        assert not gone(pid)   # still running (not a zombie): the interrupt was ignored
