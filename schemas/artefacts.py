"""The generated contracts checked into `schemas/generated/`, and the gate that keeps them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.asyncapi import DOCUMENTS, document
from schemas.catalogue import TOPICS
from schemas.compat import breaking_changes
from schemas.reference import reference_page
from schemas.registry import MESSAGES

GENERATED = Path(__file__).parent / "generated"


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


def check(root: Path = GENERATED) -> list[str]:
    """What is wrong with the checked-in artefacts: stale files or breaking changes."""
    files = render()
    problems = incompatibilities(root, files)
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
    problems = []
    for old_path in sorted((root / "json").glob("*.json")):
        relative = f"json/{old_path.name}"
        old = json.loads(old_path.read_text())
        if relative not in files:
            problems.append(f"{old_path.stem}: message type removed; publish a .v2 beside it")
            continue
        new = json.loads(files[relative])
        problems.extend(f"{old_path.stem}: {problem}" for problem in breaking_changes(old, new))
    return problems


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
