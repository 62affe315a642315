"""The machine and software the figures came from."""

from __future__ import annotations

import contextlib
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg

from deploy.local import kafka as local_kafka
from deploy.local import kafka_libs, stack

_PACKAGES = ("aiokafka", "asyncpg", "pydantic")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _commit() -> str | None:
    """The checked-out commit, read from .git without running git."""
    git = stack.project_root() / ".git"
    with contextlib.suppress(OSError):
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head.removeprefix("ref: ")
        loose = git / ref
        if loose.exists():
            return loose.read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(f" {ref}"):
                return line.split(" ", 1)[0]
    return None


async def machine_facts(*, bootstrap: str, owner_url: str) -> dict[str, Any]:
    """CPU, memory, kernel, Python, Kafka, PostgreSQL and library versions."""
    conn = await asyncpg.connect(owner_url)
    try:
        postgres = await conn.fetchval("SHOW server_version")
        rows = await conn.fetch(
            "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
            ["fsync", "synchronous_commit", "shared_buffers", "max_connections"],
        )
        settings = {str(row["name"]): str(row["setting"]) for row in rows}
    finally:
        await conn.close()
    local = bootstrap == local_kafka.bootstrap(stack.project_root())
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gib": _memory_gib(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "kafka": kafka_libs.KAFKA_VERSION if local else "unknown (not the local stack)",
        "kafka_bootstrap": bootstrap,
        "postgresql": postgres,
        "postgresql_settings": settings,
        "packages": {name: metadata.version(name) for name in _PACKAGES},
        "commit": _commit(),
        "note": "Kafka, PostgreSQL, the services and the harness share these CPUs.",
    }
