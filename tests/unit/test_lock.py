"""The lock file `./dev` installs from pins what pyproject.toml pins, at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_in_pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        if extra != "lock":  # the lock maker itself is not locked
            wanted += requirements
    pins = (_PIN.match(requirement) for requirement in wanted)
    return {_name(pin[1]): pin[2] for pin in pins if pin}


def pinned_in_lock() -> dict[str, str]:
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pins = (_PIN.match(line) for line in lines)
    return {_name(pin[1]): pin[2] for pin in pins if pin}


def test_every_pin_of_pyproject_is_locked_at_its_version() -> None:
    locked = pinned_in_lock()
    wanted = pinned_in_pyproject()
    assert len(wanted) > 20
    drift = {name: (version, locked.get(name)) for name, version in wanted.items()}
    assert {name: pair for name, pair in drift.items() if pair[0] != pair[1]} == {}


def test_every_locked_requirement_carries_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert blocks
    assert [block.split()[0] for block in blocks if "--hash=sha256:" not in block] == []
