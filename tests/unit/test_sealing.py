"""Sealed dead letters: only the tenant's key opens them, only where they were bound."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.runtime import dead_letters as dlq
from services.runtime.consumer import Record
from services.runtime.outbox import OutgoingRecord
from services.runtime.sealing import FolderKeys, MemoryKeys, SealError, seal, unseal

SENT = b'{"subject": {"names": [{"surname": "Taylor"}]}, "contact": {"where": "07700 900123"}}'


def refused(value: bytes = SENT, offset: int = 41) -> Record:
    return Record(
        topic="inbox.warwickshire.from.warwickshire.v1",
        partition=0,
        offset=offset,
        key=b"portal-0123456789abcdef",
        value=value,
        headers=[("ce_type", b"csods.intake.register-enquiry.v1")],
    )


def headers_of(letter: OutgoingRecord) -> dict[str, str]:
    return {name: value.decode() for name, value in letter.headers}


def test_a_dead_letter_holds_no_clear_value_and_the_tenants_key_opens_it() -> None:
    keys = MemoryKeys()
    letter = dlq.dead_letter_record(
        refused(),
        tenant="warwickshire",
        consumer="intake",
        reason="channel: Field required (missing)",
        at=datetime(2026, 12, 7, tzinfo=UTC),
        keys=keys,
    )
    assert b"Taylor" not in letter.value
    assert b"07700" not in letter.value
    headers = headers_of(letter)
    assert headers["dlq_sealed"] == "aes-256-gcm"
    assert headers["dlq_key"] == "k1"
    assert headers["ce_type"] == "csods.intake.register-enquiry.v1"
    assert dlq.opened(keys, "warwickshire", headers, letter.value) == SENT

    # Not with another tenant's key, nor moved to another record's coordinates.
    with pytest.raises(SealError):
        dlq.opened(keys, "cleveland", headers, letter.value)
    with pytest.raises(SealError):
        dlq.opened(keys, "warwickshire", {**headers, "dlq_offset": "42"}, letter.value)
    with pytest.raises(SealError):
        dlq.opened(MemoryKeys(), "warwickshire", headers, letter.value)


def test_a_letter_from_before_sealing_reads_as_it_was_kept() -> None:
    headers = {"dlq_reason": "payload: Invalid JSON", "dlq_topic": "t", "dlq_offset": "1"}
    assert dlq.opened(MemoryKeys(), "warwickshire", headers, b"as kept") == b"as kept"


def test_every_process_of_a_tenant_finds_the_same_key_kept_owner_only(tmp_path: Path) -> None:
    first, second = FolderKeys(tmp_path), FolderKeys(tmp_path)
    key_id, sealed = seal(first, "warwickshire", SENT, b"here")
    assert unseal(second, "warwickshire", key_id, sealed, b"here") == SENT
    kept = tmp_path / "warwickshire" / key_id
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert first.current("cleveland")[1] != first.current("warwickshire")[1]


def test_a_destroyed_key_leaves_what_was_sealed_under_it_unreadable(tmp_path: Path) -> None:
    keys = FolderKeys(tmp_path)
    key_id, sealed = seal(keys, "warwickshire", SENT, b"here")
    (tmp_path / "warwickshire" / key_id).unlink()
    with pytest.raises(SealError, match="not kept"):
        unseal(keys, "warwickshire", key_id, sealed, b"here")
    with pytest.raises(SealError):  # a key asked for by id is never made anew
        unseal(keys, "warwickshire", key_id, sealed, b"here")
    assert not (tmp_path / "warwickshire" / key_id).exists()


def test_names_that_could_leave_the_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SealError):
        FolderKeys(tmp_path).current("../elsewhere")
    with pytest.raises(SealError):
        FolderKeys(tmp_path).key("warwickshire", "../../k1")
