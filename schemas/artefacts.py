"""The generated contracts checked into `schemas/generated/`, and the gate that keeps them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from schemas.asyncapi import DOCUMENTS, document
from schemas.catalogue import TOPICS
from schemas.compat import breaking_changes
from schemas.reference import reference_page
from schemas.registry import MESSAGES

GENERATED = Path(__file__).parent / "generated"
# The commit whose contracts were last released (`csods schemas release`): the gate also
# holds the models to them, so a change written with --allow-breaking but never released
# as a new version is still refused.
RELEASED = Path(__file__).parent / "RELEASED"


def json_schema(message: type[Any]) -> dict[str, Any]:
    """The JSON Schema of a message, with its type and topics."""
    schema: dict[str, Any] = message.model_json_schema()
    schema["$id"] = f"urn:csods:{message.TYPE}"
    schema["x-ce-type"] = message.TYPE
    schema["x-topics"] = sorted(spec.pattern for spec in TOPICS if message in spec.messages)
    return schema


def render() -> dict[str, str]:
    """Every generated file, by path relative to `schemas/generated/`."""
    files = {f"json/{message.TYPE}.json": _dump(json_schema(message)) for message in MESSAGES}
    for party in DOCUMENTS:
        files[f"asyncapi/{party.replace(' ', '-')}.json"] = _dump(document(party))
    files["README.md"] = reference_page()
    return files


def write(root: Path = GENERATED, *, allow_breaking: bool = False) -> list[str]:
    """Write the artefacts; refuse a breaking change unless allowed. Returns what changed."""
    files = render()
    problems = incompatibilities(root, files)
    if problems and not allow_breaking:
        raise ValueError("breaking changes:\n" + "\n".join(problems))
    changed = []
    for relative, content in files.items():
        path = root / relative
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            changed.append(relative)
    for path in sorted(root.rglob("*")):
        if path.is_file() and str(path.relative_to(root)) not in files:
            path.unlink()
            changed.append(f"{path.relative_to(root)} (removed)")
    return changed


def check(root: Path = GENERATED, *, released: dict[str, str] | None = None) -> list[str]:
    """What is wrong with the checked-in artefacts: stale files, breaking changes against
    them, and breaking changes against the released contracts (default: RELEASED's)."""
    files = render()
    problems = incompatibilities(root, files)
    for problem in _against(released if released is not None else released_contracts(), files):
        problems.append(f"{problem} (against the released contracts)")
    for relative, content in files.items():
        path = root / relative
        if not path.exists():
            problems.append(f"{relative}: missing; run `csods schemas write`")
        elif path.read_text() != content:
            problems.append(f"{relative}: stale; run `csods schemas write`")
    for path in sorted(root.rglob("*")):
        if path.is_file() and str(path.relative_to(root)) not in files:
            problems.append(f"{path.relative_to(root)}: no longer generated; remove it")
    return problems


def incompatibilities(root: Path, files: dict[str, str]) -> list[str]:
    """Breaking changes of each message schema against its checked-in version."""
    checked_in = {
        f"json/{path.name}": path.read_text() for path in sorted((root / "json").glob("*.json"))
    }
    return _against(checked_in, files)


def _against(published: dict[str, str], files: dict[str, str]) -> list[str]:
    problems = []
    for relative, text in sorted(published.items()):
        name = relative.removeprefix("json/").removesuffix(".json")
        if relative not in files:
            problems.append(f"{name}: message type removed; publish a .v2 beside it")
            continue
        old, new = json.loads(text), json.loads(files[relative])
        problems.extend(f"{name}: {problem}" for problem in breaking_changes(old, new))
    return problems


def released_contracts(marker: Path = RELEASED) -> dict[str, str]:
    """The message schemas of the released commit, read from git; none before a release."""
    if not marker.exists():
        return {}
    commit = marker.read_text().split()[0]
    folder = "schemas/generated/json"
    top = Path(__file__).resolve().parents[1]
    listed = _git(top, "ls-tree", "--name-only", f"{commit}:{folder}")
    return {
        f"json/{name}": _git(top, "show", f"{commit}:{folder}/{name}")
        for name in listed.split()
        if name.endswith(".json")
    }


def release(marker: Path = RELEASED) -> str:
    """Mark the current commit's contracts as released; return its hash.

    Refused while they break the contracts released before: within v1 a break is never
    released, it is published as a new .v2 type beside the old one.
    """
    top = Path(__file__).resolve().parents[1]
    if _git(top, "status", "--porcelain", "--", "schemas/generated").strip():
        raise ValueError("schemas/generated has changes not committed; commit them first")
    problems = _against(released_contracts(marker), render())
    if problems:
        raise ValueError("breaking changes against the last release:\n" + "\n".join(problems))
    commit = _git(top, "rev-parse", "HEAD").strip()
    marker.write_text(f"{commit}\n")
    return commit


def _git(top: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=top, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ValueError(
            f"the released contracts ({RELEASED.name}) cannot be read from git: {exc}"
        ) from exc
    return done.stdout


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
