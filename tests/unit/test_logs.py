"""Logs name what failed and where, never the data it failed on."""

from __future__ import annotations

from services.runtime.logs import failure


def test_a_failure_is_logged_by_type_and_place_not_by_its_message() -> None:
    try:
        raise ValueError("Key (submission_id)=(Jane Doe, 12 Acacia Avenue) already exists")
    except ValueError as exc:
        fields = failure(exc)
    assert fields["error"] == "ValueError"
    assert fields["raised_at"].startswith("test_logs.py:")
    assert "Jane" not in str(fields)
    assert "Acacia" not in str(fields)


def test_an_exception_never_raised_has_no_place() -> None:
    assert failure(KeyError("x")) == {"error": "KeyError", "raised_at": "?"}


def test_a_message_logged_by_mistake_is_redacted() -> None:
    import json  # noqa: PLC0415

    from schemas.examples import example  # noqa: PLC0415
    from schemas.intake import ApplicationSubmittedV1  # noqa: PLC0415
    from services.runtime.logs import redact_messages  # noqa: PLC0415

    application = example(ApplicationSubmittedV1)
    event = redact_messages(None, "info", {"event": "oops", "application": application})
    written = json.dumps(dict(event))
    assert "Sarah" not in written
    assert "Priory Road" not in written
    assert "warwickshire-2026-000042" in written
