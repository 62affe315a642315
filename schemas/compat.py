"""Backward compatibility of a message's JSON Schema against its published version.

Within v1 only additive, optional fields (architecture §3): a consumer built on the old
schema must accept what producers of the new one send, and a producer must still be able to
send what the new one requires. So a constraint may be loosened, never tightened: a shorter
`maxLength`, a higher `minimum`, a new `pattern` or `format`, or `additionalProperties: false`
where extra fields were allowed would refuse what a producer of the old schema sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]

# Bounds a producer of the old schema may be relying on: (keyword, narrower when the new is).
_UPPER = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_LOWER = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_EXACT = ("pattern", "format", "multipleOf")


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every breaking difference from `old` to `new`, as 'where: what' sentences."""
    walk = _Walk(old_root=old, new_root=new)
    walk.compare(old, new, "payload")
    return walk.problems


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root.get("$defs", {}).get(name, {})
    return schema


def _members(schema: Schema) -> list[Schema]:
    return list(schema.get("anyOf") or schema.get("oneOf") or [schema])


def _kind(schema: Schema, root: Schema) -> str:
    schema = _resolve(schema, root)
    if "enum" in schema or "const" in schema:
        return "enum"
    kind = schema.get("type", "any")
    return kind if isinstance(kind, str) else "|".join(sorted(kind))


@dataclass
class _Walk:
    """One comparison of two schemas: their roots (for `$ref`), what it found, where it was."""

    old_root: Schema
    new_root: Schema
    problems: list[str] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def compare(self, old: Schema, new: Schema, where: str) -> None:
        old_root, new_root = self.old_root, self.new_root
        old_members = [_resolve(member, old_root) for member in _members(_resolve(old, old_root))]
        new_members = [_resolve(member, new_root) for member in _members(_resolve(new, new_root))]
        for old_member in old_members:
            kind = _kind(old_member, old_root)
            match = next((m for m in new_members if _kind(m, new_root) == kind), None)
            if match is None:
                kinds = sorted({_kind(m, new_root) for m in new_members})
                self.problems.append(f"{where}: type changed from {kind} to {' or '.join(kinds)}")
                continue
            key = (where, kind)
            if key in self.seen:
                continue
            self.seen.add(key)
            self._compare_same_kind(old_member, match, where)

    def _compare_same_kind(self, old: Schema, new: Schema, where: str) -> None:
        problems = self.problems
        if "enum" in old:
            removed = [value for value in old["enum"] if value not in new.get("enum", [])]
            if removed:
                problems.append(f"{where}: enum narrowed, {', '.join(map(str, removed))} removed")
        if "const" in old and new.get("const") != old["const"]:
            problems.append(f"{where}: constant changed")
        _compare_bounds(old, new, where, problems)
        old_props: Schema = old.get("properties", {})
        new_props: Schema = new.get("properties", {})
        for name, old_prop in old_props.items():
            if name not in new_props:
                problems.append(f"{where}.{name}: field removed")
                continue
            self.compare(old_prop, new_props[name], f"{where}.{name}")
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            what = "became required" if name in old_props else "new required field"
            problems.append(f"{where}.{name}: {what}")
        if "items" in old and "items" in new:
            self.compare(old["items"], new["items"], f"{where}[]")


def _compare_bounds(old: Schema, new: Schema, where: str, problems: list[str]) -> None:
    """A bound added or tightened is breaking; one removed or loosened is not."""
    for keyword in _UPPER:
        if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
            problems.append(
                f"{where}: {keyword} narrowed from {old.get(keyword, 'none')} to {new[keyword]}"
            )
    for keyword in _LOWER:
        if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
            problems.append(
                f"{where}: {keyword} narrowed from {old.get(keyword, 'none')} to {new[keyword]}"
            )
    for keyword in _EXACT:
        if keyword in new and new[keyword] != old.get(keyword):
            problems.append(f"{where}: {keyword} added or changed")
    if new.get("additionalProperties") is False and old.get("additionalProperties") is not False:
        problems.append(f"{where}: additional properties no longer allowed")
