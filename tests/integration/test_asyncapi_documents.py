"""The AsyncAPI documents pass the AsyncAPI project's own validator, which does fail bad ones."""

from __future__ import annotations

import json
from pathlib import Path

from deploy.local.asyncapi_cli import validate
from schemas.artefacts import GENERATED


def test_every_asyncapi_document_is_valid_and_an_invalid_one_is_refused(tmp_path: Path) -> None:
    documents = sorted((GENERATED / "asyncapi").glob("*.json"))
    broken = tmp_path / "broken.json"
    content = json.loads(documents[0].read_text())
    first = next(iter(content["operations"].values()))
    first["action"] = "publish-ish"  # AsyncAPI 3 allows only send or receive
    broken.write_text(json.dumps(content))

    verdicts = validate([*documents, broken])

    assert {verdict.path.name for verdict in verdicts if verdict.valid} == {
        path.name for path in documents
    }
    assert not verdicts[-1].valid
    assert "action" in verdicts[-1].output
