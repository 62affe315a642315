"""`csods deploy check`: the deployment for more than one machine, checked on this one.

No Kubernetes cluster runs here, so the manifests are checked as a cluster would take them:
the Helm chart (deploy/helm/csods) is linted and rendered by Helm, and every object it renders
is validated by kubeconform against the Kubernetes API's JSON schemas, strictly (no field
the API does not know); the Strimzi KafkaTopic and KafkaUser resources that
`csods access strimzi` renders from the catalogue are validated against Strimzi's own
schemas. Helm and kubeconform are built from the Go module proxy, the schemas come from
PyPI (kubernetes-validate) and the npm registry, each pinned, all cached outside the repo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.local.common import (
    Progress,
    StackError,
    ensure_npm,
    file_lock,
    run_checked,
    say,
    sha256_short,
)
from deploy.local.stack import project_root

CHART = project_root() / "deploy" / "helm" / "csods"
TOOL = project_root() / "tools" / "kubernetes"
HELM = ("helm.sh/helm/v4/cmd/helm", "v4.3.2")
KUBECONFORM = ("github.com/yannh/kubeconform/cmd/kubeconform", "v0.7.0")
KUBERNETES_VERSION = "1.31.0"
# The Kubernetes API's JSON schemas, as kubernetes-validate ships them, pinned by digest.
SCHEMAS_WHEEL = (
    "kubernetes-validate==1.31.0",
    "6ff0493132eaaeeec43b90abf97aebb2afe21741da785bc03b983688179c935d",
)
# More than one force and every web door on: every template branch is rendered.
RENDERINGS: dict[str, list[str]] = {
    "one force": [],
    "two forces": ["--set", "forces={warwickshire,dorset}", "--set", "replicas.intake=2"],
    "no web doors": ["--set", "web.casework.enabled=false", "--set", "web.portal.enabled=false"],
}


@dataclass(frozen=True)
class Checked:
    """What the check found: objects rendered and validated, and every problem named."""

    kubernetes_objects: int
    strimzi_resources: int
    problems: list[str]

    @property
    def valid(self) -> bool:
        """Whether nothing was refused."""
        return not self.problems


def cache() -> Path:
    """~/.cache/csods/kubernetes: the tools and schemas, shared by every clone."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "csods" / "kubernetes"


def go_tool(module: str, version: str, progress: Progress | None = None) -> Path:
    """A Go command built once from the Go module proxy at a pinned version."""
    folder = cache() / "bin" / f"{module.rsplit('/', 1)[-1]}-{version}"
    binary = folder / module.rsplit("/", 1)[-1]
    with file_lock(cache() / f"{folder.name}.lock"):
        if binary.is_file():
            return binary
        if shutil.which("go") is None:
            raise StackError(f"building {module}@{version} needs Go on PATH (go.dev/dl)")
        say(progress, f"building {module}@{version} from the Go module proxy (a few minutes)")
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOBIN": str(folder), "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
        run_checked(["go", "install", f"{module}@{version}"], f"go install {module}", env=env)
    return binary


def kubernetes_schemas(progress: Progress | None = None) -> Path:
    """The Kubernetes API's schemas for kubeconform, one file per kind, read from files only."""
    folder = cache() / f"schemas-{KUBERNETES_VERSION}"
    marker = folder / ".complete"
    with file_lock(cache() / f"{folder.name}.lock"):
        if marker.is_file():
            return folder
        say(progress, f"fetching the Kubernetes {KUBERNETES_VERSION} schemas ({SCHEMAS_WHEEL[0]})")
        download = cache() / "download"
        shutil.rmtree(download, ignore_errors=True)
        download.mkdir(parents=True)
        wanted = download / "requirements.txt"
        wanted.write_text(f"{SCHEMAS_WHEEL[0]} --hash=sha256:{SCHEMAS_WHEEL[1]}\n")
        pip = [sys.executable, "-m", "pip", "download"]
        pip += ["--no-deps", "--require-hashes", "--quiet", "-r", str(wanted), "-d", str(download)]
        run_checked(pip, "pip download kubernetes-validate")
        (wheel,) = download.glob("*.whl")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        inside = f"kubernetes_validate/kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict/"
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.startswith(inside) and name.endswith(".json"):
                    schema = json.loads(archive.read(name))
                    (folder / name.rsplit("/", 1)[-1]).write_text(json.dumps(_local(schema)))
        marker.write_text(f"{SCHEMAS_WHEEL[1]}\n")
        shutil.rmtree(download, ignore_errors=True)
    return folder


def _local(schema: dict[str, Any]) -> dict[str, Any]:
    # The shipped schemas name their definitions by URL ($id https://kubernetes.io/api/...);
    # without the ids, their references resolve to the files beside them, never the network.
    schema.pop("$id", None)
    text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def strimzi_validator(progress: Progress | None = None) -> Path:
    """The pinned Strimzi models (`npm ci` once) and the project's script that uses them."""
    digest = sha256_short((TOOL / "package-lock.json").read_text())
    folder = cache() / f"strimzi-{digest}"
    script = folder / "validate-strimzi.mjs"
    with file_lock(cache() / f"strimzi-{digest}.lock"):
        if not (folder / "node_modules").is_dir():
            ensure_npm(progress, needed_for="the Strimzi resources' check")
            folder.mkdir(parents=True, exist_ok=True)
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(TOOL / name, folder / name)
            say(progress, f"installing Strimzi's models into {folder} (npm ci)")
            run_checked(["npm", "ci", "--no-audit", "--no-fund"], "npm ci", cwd=folder)
        shutil.copyfile(TOOL / "validate-strimzi.mjs", script)  # the project's own, current
    return script


def render(helm: Path, flags: Sequence[str] = ()) -> str:
    """The chart as Helm renders it for a release named csods."""
    return run_checked([str(helm), "template", "csods", str(CHART), *flags], "helm template")


def kubeconform(binary: Path, schemas: Path, manifests: str) -> tuple[int, list[str]]:
    """Validate rendered manifests strictly; the objects seen and one line per problem."""
    location = str(schemas / "{{ .ResourceKind }}{{ .KindSuffix }}.json")
    flags = ["-strict", "-summary", "-verbose", "-output", "json", "-schema-location", location]
    result = subprocess.run(
        [str(binary), *flags, "-"],
        input=manifests,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return 0, [f"kubeconform: {(result.stdout + result.stderr).strip()[-2000:]}"]
    problems = [
        f"{item['kind']} {item['name']}: {item['status']}: {item.get('msg', '')}"
        for item in report.get("resources", [])
        if item.get("status") != "statusValid"
    ]
    summary = report.get("summary", {})
    seen = sum(int(summary.get(key, 0)) for key in ("valid", "invalid", "errors", "skipped"))
    return seen, problems


def strimzi(script: Path, resources: list[dict[str, Any]]) -> list[str]:
    """Validate Strimzi resources with Strimzi's schemas; one line per invalid resource."""
    result = subprocess.run(
        ["node", str(script)],
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        check=False,
        cwd=script.parent,
    )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return [] if result.returncode == 0 else lines[:-1] or lines


def check(progress: Progress | None = None) -> Checked:
    """Lint and render the chart every way, validate what it renders and the Strimzi resources."""
    from services.access.strimzi import resources  # noqa: PLC0415 - the services' own map
    from services.demo.system import PILOT_FORCES, deployment  # noqa: PLC0415

    helm = go_tool(*HELM, progress=progress)
    binary = go_tool(*KUBECONFORM, progress=progress)
    schemas = kubernetes_schemas(progress)
    script = strimzi_validator(progress)
    problems: list[str] = []
    lint = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART)], capture_output=True, text=True, check=False
    )
    if lint.returncode != 0:
        problems.append(f"helm lint: {lint.stdout.strip()[-2000:]}")
    objects = 0
    for label, flags in RENDERINGS.items():
        seen, found = kubeconform(binary, schemas, render(helm, flags))
        objects += seen
        problems += [f"{label}: {problem}" for problem in found]
    made = resources(deployment(PILOT_FORCES), cluster="csods", replicas=3)
    problems += strimzi(script, made)
    say(progress, f"{objects} Kubernetes objects and {len(made)} Strimzi resources checked")
    return Checked(objects, len(made), problems)
