"""The Kafka broker's jars, resolved once from Maven Central into a cache shared by every
clone, and the Java runtime that runs them (installed from Debian's packages when root)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from deploy.local.common import (
    Progress,
    StackError,
    apt_candidate,
    apt_install,
    apt_update,
    file_lock,
    is_root,
    run_checked,
    say,
)

KAFKA_VERSION = "4.1.1"  # keep in step with pom.xml and compose.yaml
MIN_JAVA = 17  # Kafka 4 brokers need Java 17 or newer
POM = Path(__file__).with_name("pom.xml")
# Debian names the Java 17+ runtime differently across releases; the first one apt can install wins.
JRE_PACKAGES = ("openjdk-17-jre-headless", "openjdk-21-jre-headless", "default-jre-headless")


def cache_dir() -> Path:
    """The jar cache outside the repo, shared by every clone: ~/.cache/csods/kafka-<version>."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "csods" / f"kafka-{KAFKA_VERSION}"


def _java_major() -> int | None:
    """The major version of `java` on PATH, or None when there is none."""
    if shutil.which("java") is None:
        return None
    result = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        return None
    major = int(match.group(1))
    # Java 8 and older report themselves as "1.8.0_...".
    return int(match.group(2) or 0) if major == 1 else major


def ensure_tools(progress: Progress | None, *, need_maven: bool) -> None:
    """Make sure java (17+) and, when jars must be resolved, mvn are on PATH."""
    java = _java_major()
    missing_java = java is None or java < MIN_JAVA
    missing_maven = need_maven and shutil.which("mvn") is None
    if not (missing_java or missing_maven):
        return
    wanted = (["maven"] if missing_maven else []) + ([JRE_PACKAGES[0]] if missing_java else [])
    if not is_root():
        found = f"java {java}" if java is not None else "no java"
        raise StackError(
            f"the local Kafka broker needs Java {MIN_JAVA}+ and Maven ({found} on PATH"
            f"{', no mvn' if missing_maven else ''}); install them with: "
            f"sudo apt-get install -y {' '.join(wanted)}"
        )
    apt_update(progress)
    packages = ["maven"] if missing_maven else []
    if missing_java:
        jre = apt_candidate(*JRE_PACKAGES)
        if jre is None:
            raise StackError(f"apt has none of {', '.join(JRE_PACKAGES)}; install Java 17+")
        packages.append(jre)
    apt_install(packages, progress)


def _libs_complete(libs: Path, marker: Path, pom_sha256: str) -> bool:
    """Tell whether the cached jars were copied in full from the current pom."""
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    jars = recorded.get("jars") or []
    return recorded.get("pom_sha256") == pom_sha256 and all((libs / jar).is_file() for jar in jars)


def ensure_libs(progress: Progress | None = None) -> Path:
    """Return the folder of broker jars, resolving them with Maven when missing or stale."""
    base = cache_dir()
    libs, marker = base / "libs", base / "libs.complete"
    pom_sha256 = hashlib.sha256(POM.read_bytes()).hexdigest()
    with file_lock(base / ".lock"):
        if _libs_complete(libs, marker, pom_sha256):
            return libs
        ensure_tools(progress, need_maven=True)
        say(progress, f"kafka: resolving Kafka {KAFKA_VERSION} jars with Maven into {libs}")
        partial = base / "libs.partial"
        shutil.rmtree(partial, ignore_errors=True)
        # Maven runs on a copy of the pom in the cache, so it never writes into the repo.
        shutil.copyfile(POM, base / "pom.xml")
        goal = ["dependency:copy-dependencies", f"-DoutputDirectory={partial}"]
        maven = ["mvn", "-q", "-B", "-f", str(base / "pom.xml"), *goal, "-DincludeScope=runtime"]
        run_checked(maven, "mvn dependency:copy-dependencies", cwd=base)
        jars = sorted(jar.name for jar in partial.glob("*.jar"))
        if f"kafka_2.13-{KAFKA_VERSION}.jar" not in jars:
            raise StackError(f"Maven copied no kafka_2.13-{KAFKA_VERSION}.jar into {partial}")
        # Swap the folder in whole and only then write the marker: an interrupted copy is redone.
        marker.unlink(missing_ok=True)
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)
        marker.write_text(json.dumps({"pom_sha256": pom_sha256, "jars": jars}, indent=1) + "\n")
        return libs
