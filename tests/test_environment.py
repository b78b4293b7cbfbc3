"""The pinned versions in environment.yml agree with requirements.lock, the one lock file."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    found = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s#]+)\s*", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_environment_yml_agrees_with_the_lock():
    lock = pins((ROOT / "requirements.lock").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = pins(pip)
    assert env_pins, "environment.yml pins nothing"
    assert set(env_pins) <= set(lock), f"not in the lock: {sorted(set(env_pins) - set(lock))}"
    assert {k: v for k, v in env_pins.items() if lock[k] != v} == {}


def test_lock_pins_every_package_exactly():
    lines = [l for l in (ROOT / "requirements.lock").read_text().splitlines() if l.strip()]
    assert all("==" in l for l in lines)
    assert {"pandas", "papermill", "nbconvert", "weasyprint", "statsmodels"} <= set(pins(lines))
