"""The local broker's readiness: waited for while it lives and its log moves, never a fixed
limit (a broker recovering its logs after a crash takes as long as it takes)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from deploy.local import kafka
from deploy.local.common import StackError


def paths(tmp_path: Path) -> kafka.KafkaPaths:
    state = tmp_path / "kafka"
    state.mkdir()
    return kafka.KafkaPaths(state)


def write_lines(log: Path, lines: list[str], every: float) -> threading.Thread:
    def run() -> None:
        for line in lines:
            with log.open("a") as out:
                out.write(line + "\n")
            time.sleep(every)

    writer = threading.Thread(target=run, daemon=True)
    writer.start()
    return writer


def test_a_broker_whose_log_keeps_moving_is_waited_for_past_the_stall_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = paths(tmp_path)
    monkeypatch.setattr(kafka, "port_accepts", lambda port: True)
    recovering = [f"Recovering unflushed segment {n}" for n in range(8)]
    writer = write_lines(p.log, [*recovering, kafka.READY_LINE], every=0.15)
    # Eight lines 0.15 s apart take longer than the 0.5 s stall limit: the log's movement,
    # not a fixed time, keeps the wait going until the ready line.
    kafka._wait_ready(p, os.getpid(), 0, stall=0.5)
    writer.join()
    assert kafka.READY_LINE in p.log.read_text()


def test_a_broker_whose_log_goes_quiet_is_given_up_on_with_the_logs_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = paths(tmp_path)
    monkeypatch.setattr(kafka, "port_accepts", lambda port: True)
    p.log.write_text("Loading logs\nStuck somewhere\n")
    with pytest.raises(StackError, match="quiet") as raised:
        kafka._wait_ready(p, os.getpid(), 0, stall=0.3)
    assert "Stuck somewhere" in str(raised.value)
