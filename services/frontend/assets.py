"""GOV.UK Frontend for the staff application and the public form, built by the project.

`tools/frontend/package-lock.json` pins GOV.UK Frontend and Sass. `build()` installs them with
`npm ci` into a cache outside the repo (as the AsyncAPI validator and the browser driver are),
compiles `tools/frontend/csods.scss` into one stylesheet and copies the component script beside
it. The result is kept per lock and stylesheet digest, so a change to either builds afresh. The
pages serve it under `/assets/` (`mount`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from deploy.local.common import (
    Progress,
    ensure_npm,
    file_lock,
    run_checked,
    say,
    sha256_short,
)
from deploy.local.stack import project_root

TOOL = project_root() / "tools" / "frontend"
SOURCES = ("package.json", "package-lock.json", "csods.scss", "init.js")
STYLESHEET = "csods.css"
# What a page links to, under /assets/: the stylesheet, the component script and our start.
FILES = (STYLESHEET, "govuk-frontend.min.js", "init.js")


def built_folder() -> Path:
    """~/.cache/csods/frontend-<digest>/assets, or CSODS_FRONTEND_ASSETS when set."""
    given = os.environ.get("CSODS_FRONTEND_ASSETS")
    if given:
        return Path(given)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = sha256_short("".join((TOOL / name).read_text() for name in SOURCES))
    return base / "csods" / f"frontend-{digest}" / "assets"


def build(progress: Progress | None = None) -> Path:
    """The built assets' folder, built now if it is not there yet."""
    folder = built_folder()
    if all((folder / name).exists() for name in FILES):
        return folder
    work = folder.parent
    with file_lock(work.parent / f"{work.name}.lock"):
        if all((folder / name).exists() for name in FILES):
            return folder
        ensure_npm(progress, needed_for="the pages' stylesheet")
        work.mkdir(parents=True, exist_ok=True)
        for name in SOURCES:
            shutil.copyfile(TOOL / name, work / name)
        say(progress, f"building GOV.UK Frontend into {folder} (npm ci, sass)")
        run_checked(
            ["npm", "ci", "--ignore-scripts", "--omit=optional", "--no-audit", "--no-fund"],
            "npm ci",
            cwd=work,
        )
        staging = work / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        run_checked(
            [
                "node",
                "node_modules/sass/sass.js",
                "--load-path=node_modules",
                "--style=compressed",
                "--no-source-map",
                "--quiet-deps",
                "csods.scss",
                str(staging / STYLESHEET),
            ],
            "sass",
            cwd=work,
        )
        dist = work / "node_modules" / "govuk-frontend" / "dist" / "govuk"
        shutil.copyfile(dist / "govuk-frontend.min.js", staging / "govuk-frontend.min.js")
        shutil.copyfile(work / "init.js", staging / "init.js")
        shutil.copytree(dist / "assets" / "images", staging / "images")
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    return folder


def mount(app: FastAPI, folder: Path) -> None:
    """Serve the built assets at /assets/ (the path the stylesheet's own URLs use)."""
    app.mount("/assets", StaticFiles(directory=folder), name="assets")
