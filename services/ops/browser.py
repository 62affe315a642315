"""Look at the dashboard as a person would: Debian's Chromium driven by playwright-core.

The browser is Debian's `chromium` package, never Playwright's own download; playwright-core
is pinned in tools/browser/package-lock.json and installed with `npm ci` into a cache
outside the repo, as the AsyncAPI validator is (deploy/local/asyncapi_cli.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from deploy.local.common import (
    Progress,
    StackError,
    apt_install,
    file_lock,
    is_root,
    run_checked,
    say,
    sha256_short,
)
from deploy.local.stack import project_root

TOOL = project_root() / "tools" / "browser"
CHROMIUM = Path(os.environ.get("CSODS_CHROMIUM", "/usr/bin/chromium"))


def cache() -> Path:
    """~/.cache/csods/browser-<lock digest>: a changed lock file gets a fresh install."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = sha256_short((TOOL / "package-lock.json").read_text())
    return base / "csods" / f"browser-{digest}"


def ensure_chromium(progress: Progress | None = None) -> Path:
    """Debian's Chromium, installed with apt-get when missing and we are root."""
    if CHROMIUM.exists():
        return CHROMIUM
    if not is_root():
        raise StackError("the dashboard check needs Chromium: sudo apt-get install chromium")
    with file_lock(Path.home() / ".cache" / "csods" / "chromium.lock"):
        if not CHROMIUM.exists():
            apt_install(["chromium"], progress)
    return CHROMIUM


def ensure_driver(progress: Progress | None = None) -> Path:
    """playwright-core from the lock file, installed once; return the folder to run from."""
    folder = cache()
    with file_lock(folder.parent / f"{folder.name}.lock"):
        if not (folder / "node_modules" / "playwright-core").exists():
            if not shutil.which("npm"):
                if not is_root():
                    raise StackError("the dashboard check needs npm: sudo apt-get install npm")
                apt_install(["nodejs", "npm"], progress)
            folder.mkdir(parents=True, exist_ok=True)
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(TOOL / name, folder / name)
            say(progress, f"installing playwright-core into {folder} (npm ci)")
            env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
            run_checked(["npm", "ci", "--no-audit", "--no-fund"], "npm ci", env=env, cwd=folder)
        # Beside its node_modules, so that the script's import resolves there.
        shutil.copyfile(TOOL / "dashboard.mjs", folder / "dashboard.mjs")
    return folder


def look(
    url: str,
    screenshot: Path | None = None,
    progress: Progress | None = None,
    *,
    sign_in: tuple[str, str] | None = None,
    then: str | None = None,
) -> dict[str, Any]:
    """Load the dashboard, signing in at the issuer's form as `sign_in` (user, password) if
    sent there; return its title, refresh and every data-testid's text, and what `then`
    answered when opened next in the same browser."""
    chromium = ensure_chromium(progress)
    folder = ensure_driver(progress)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CSODS_CHROMIUM": str(chromium),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    if sign_in is not None:  # through the environment: never on a command line
        env["CSODS_SIGN_IN_USER"], env["CSODS_SIGN_IN_PASSWORD"] = sign_in
    result = subprocess.run(
        [
            "node",
            str(folder / "dashboard.mjs"),
            url,
            str(screenshot or ""),
            *([then] if then else []),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=folder,
        timeout=120,
    )
    if result.returncode != 0:
        raise StackError(f"the browser failed:\n{result.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(result.stdout)
    return found
