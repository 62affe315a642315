"""Health answers the same in every process: live always, ready only when both parts answer."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from services.runtime import health
from services.runtime.health import install_health


async def answers() -> object:
    return 1


async def refuses() -> object:
    raise OSError("connection to 10.0.0.7:5432 refused for user secret")  # never shown


async def hangs() -> object:
    await asyncio.sleep(60)
    return 1


async def ask(probes: dict[str, health.Probe], path: str) -> httpx.Response:
    app = FastAPI()
    install_health(app, service="intake", tenant="kent", probes=probes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        return await client.get(path)


async def test_live_answers_whatever_the_parts_say() -> None:
    got = await ask({"database": refuses}, "/health/live")
    assert (got.status_code, got.json()["status"]) == (200, "live")


async def test_ready_when_every_part_answers() -> None:
    got = await ask({"database": answers, "broker": answers}, "/health/ready")
    assert got.status_code == 200
    assert got.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_not_ready_names_the_part_and_nothing_of_its_error() -> None:
    health.PROBE_SECONDS = 0.05
    try:
        got = await ask({"database": refuses, "broker": hangs}, "/health/ready")
    finally:
        health.PROBE_SECONDS = 2.0
    assert got.status_code == 503
    assert got.json()["checks"] == {"database": "failing", "broker": "failing"}
    assert "10.0.0.7" not in got.text
    assert "secret" not in got.text
