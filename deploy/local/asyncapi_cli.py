"""The AsyncAPI project's own validator (its CLI from the npm registry), cached outside the repo."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deploy.local.common import (
    Progress,
    ensure_npm,
    file_lock,
    run_checked,
    say,
    sha256_short,
)
from deploy.local.stack import project_root

TOOL = project_root() / "tools" / "asyncapi"


@dataclass(frozen=True)
class Verdict:
    """What the validator said of one document."""

    path: Path
    valid: bool
    output: str


def cache() -> Path:
    """~/.cache/csods/asyncapi-cli-<lock digest>: a changed lock file gets a fresh install."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = sha256_short((TOOL / "package-lock.json").read_text())
    return base / "csods" / f"asyncapi-cli-{digest}"


def ensure_cli(progress: Progress | None = None) -> Path:
    """Install the pinned CLI with `npm ci` once; return the path of its executable."""
    folder = cache()
    executable = folder / "node_modules" / ".bin" / "asyncapi"
    with file_lock(folder.parent / f"{folder.name}.lock"):
        if executable.exists():
            return executable
        ensure_npm(progress, needed_for="the AsyncAPI validator")
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(TOOL / name, folder / name)
        say(progress, f"installing the AsyncAPI CLI into {folder} (npm ci, about a minute)")
        # The CLI's optional browser download is for previews we never use.
        env = {
            **os.environ,
            "PUPPETEER_SKIP_DOWNLOAD": "1",
            "PUPPETEER_SKIP_CHROMIUM_DOWNLOAD": "1",
        }
        run_checked(["npm", "ci", "--no-audit", "--no-fund"], "npm ci", env=env, cwd=folder)
    return executable


def validate(paths: Sequence[Path], progress: Progress | None = None) -> list[Verdict]:
    """Validate AsyncAPI documents; a document with any error is invalid."""
    executable = ensure_cli(progress)
    settings = cache() / "analytics.json"
    # Never send usage metrics (the network is closed here anyway).
    settings.write_text('{"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "-"}')
    env = {**os.environ, "ASYNCAPI_METRICS_CONFIG_PATH": str(settings), "NODE_ENV": "production"}
    verdicts = []
    for path in paths:
        result = subprocess.run(
            [str(executable), "validate", str(path), "--fail-severity", "error"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        output = "\n".join(
            line
            for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and not line.startswith("WARNING:")
        )
        verdicts.append(Verdict(path, result.returncode == 0, output))
    return verdicts
