"""The command ends without Python's teardown (`cli.entry`): what it printed still arrives, in
full, and its exit status is main's."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command(*argv):
    return subprocess.run([sys.executable, "-m", "analysis", *argv], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_output_and_status_survive_the_fast_exit():
    done = command("validate", "--data", str(ROOT / "data" / "papi-provinces"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("(reported as gaps)")   # the last line, not cut off
    failed = command("run", "--data", str(ROOT / "no-such-dataset"), "--quiet")
    assert failed.returncode == 1
    assert "no such folder" in failed.stderr
