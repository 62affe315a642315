"""A single-node KRaft Kafka broker run from Maven-resolved jars, without Docker.

Security is always on, as in production (architecture §5): tenants connect to a SASL_SSL
listener with SCRAM-SHA-512; the controller and the operator's listener take TLS client
certificates only (the broker's own, and the provisioning super-user's); the KRaft
StandardAuthorizer refuses whatever no ACL allows, and only provisioning creates topics.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.local import certificates
from deploy.local.common import (
    Progress,
    StackError,
    apt_candidate,
    apt_install,
    apt_update,
    cmdline,
    file_lock,
    find_pids,
    is_root,
    log_tail,
    pid_alive,
    port_accepts,
    port_from_env,
    read_pid,
    run_checked,
    say,
    spawn_detached,
    terminate,
)
from deploy.local.secrets import secrets_dir

KAFKA_VERSION = "4.1.1"  # keep in step with pom.xml and compose.yaml
DEFAULT_PORT = 19092
PORT_VARIABLE = "CSODS_STACK_KAFKA_PORT"
READY_LINE = "Kafka Server started"
# The identities proven by certificate: the broker itself and the provisioning super-user.
BROKER_IDENTITY = "kafka-broker"
ADMIN_IDENTITY = "csods-admin"
SASL_MECHANISM = "SCRAM-SHA-512"
# A broker that has kept many topics (every test force makes its own), or that recovers its
# logs after a crash, loads them all before it answers: minutes on a long-used machine. The
# wait lasts while the broker lives and its log still moves; it gives up only once the log
# has said nothing new for this long.
STALL_TIMEOUT = 120.0
STOP_GRACE = 30.0
MIN_JAVA = 17  # Kafka 4 brokers need Java 17 or newer
POM = Path(__file__).with_name("pom.xml")
JVM_OPTIONS = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
# Debian names the Java 17+ runtime differently across releases; the first one apt can install wins.
JRE_PACKAGES = ("openjdk-17-jre-headless", "openjdk-21-jre-headless", "default-jre-headless")

LOG4J2_PROPERTIES = """\
# Written by deploy/local/kafka.py on every start. Everything goes to stdout, which the
# launcher sends to broker.log; the launcher waits for the "Kafka Server started" line.
status = warn
# Keep logging until the JVM exits, so broker.log shows the whole controlled shutdown.
shutdownHook = disable
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
"""


@dataclass(frozen=True)
class KafkaPaths:
    """Where one project's broker keeps its state: <project root>/.stack/kafka."""

    state: Path

    @property
    def data(self) -> Path:
        return self.state / "data"

    @property
    def server_properties(self) -> Path:
        return self.state / "server.properties"

    @property
    def log4j_properties(self) -> Path:
        return self.state / "log4j2.properties"

    @property
    def log(self) -> Path:
        return self.state / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.state / "broker.pid"

    @property
    def lock(self) -> Path:
        return self.state / ".lock"


def paths(root: Path) -> KafkaPaths:
    """The broker's state folder for a project root."""
    return KafkaPaths(root / ".stack" / "kafka")


def port() -> int:
    """The tenants' SASL_SSL port; the controller listens on the next, the operators' after."""
    return port_from_env(PORT_VARIABLE, DEFAULT_PORT)


def bootstrap() -> str:
    """The bootstrap address tenants' clients connect to (SASL_SSL)."""
    return f"127.0.0.1:{port()}"


def admin_bootstrap() -> str:
    """The operators' listener (TLS client certificate): provisioning connects here."""
    return f"127.0.0.1:{port() + 2}"


@dataclass(frozen=True)
class KafkaSecrets:
    """The files a client of the local broker needs: the CA, and the super-user's certificate."""

    folder: Path  # <secrets>/kafka; provisioned principals' passwords live in users/
    ca: Path
    broker: certificates.Issued
    admin: certificates.Issued

    @property
    def users(self) -> Path:
        return self.folder / "users"


def secrets(root: Path) -> KafkaSecrets:
    """The broker's certificate authority and identities, made the first time they are needed."""
    top = secrets_dir(root)
    folder = top / "kafka"
    ca = certificates.authority(top)
    broker = certificates.server(folder, BROKER_IDENTITY, ca, client_auth=True)
    admin = certificates.client(folder, ADMIN_IDENTITY, ca)
    return KafkaSecrets(folder, ca.certificate, broker, admin)


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


def _ensure_tools(progress: Progress | None, *, need_maven: bool) -> None:
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
        _ensure_tools(progress, need_maven=True)
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


def _server_properties(p: KafkaPaths, client_port: int, keys: KafkaSecrets) -> str:
    """The broker configuration: one combined broker+controller node on loopback, secured."""
    controller_port, internal_port = client_port + 1, client_port + 2
    listeners = {
        "CLIENTS": (client_port, "SASL_SSL"),  # tenants: SCRAM password over TLS
        "CONTROLLER": (controller_port, "SSL"),  # the broker's own certificate only
        "INTERNAL": (internal_port, "SSL"),  # the broker and the provisioning super-user
    }
    scram = f"listener.name.clients.{SASL_MECHANISM.lower()}.sasl.jaas.config"
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": ",".join(f"{name}://127.0.0.1:{at}" for name, (at, _) in listeners.items()),
        "advertised.listeners": f"CLIENTS://127.0.0.1:{client_port},"
        f"INTERNAL://127.0.0.1:{internal_port}",
        "inter.broker.listener.name": "INTERNAL",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": ",".join(
            f"{name}:{protocol}" for name, (_, protocol) in listeners.items()
        ),
        "sasl.enabled.mechanisms": SASL_MECHANISM,
        scram: "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(keys.broker.chain),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(keys.ca),
        "listener.name.controller.ssl.client.auth": "required",
        "listener.name.internal.ssl.client.auth": "required",
        # A certificate's principal is its common name: User:kafka-broker, User:csods-admin.
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+).*$/$1/,DEFAULT",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{BROKER_IDENTITY};User:{ADMIN_IDENTITY}",
        "allow.everyone.if.no.acl.found": "false",
        "log.dirs": str(p.data),
        "num.partitions": "3",
        # Topics are made by provisioning (csods access provision), never by a client.
        "auto.create.topics.enable": "false",
        # A single node cannot hold more than one replica of the internal topics.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Tests start consumers right away; the default 3 s delay only slows them down.
        "group.initial.rebalance.delay.ms": "0",
        # After a kill -9 the restarted broker cannot register until the old registration's
        # session expires (9 s by default); crash tests restart often, so expire it in 3 s.
        "broker.heartbeat.interval.ms": "500",
        "broker.session.timeout.ms": "3000",
    }
    header = "# Written by deploy/local/kafka.py on every start; edits are overwritten.\n"
    return header + "".join(f"{key}={value}\n" for key, value in settings.items())


def _configured_port(p: KafkaPaths) -> int | None:
    """The tenants' port in the server.properties the running broker was started with."""
    try:
        text = p.server_properties.read_text()
    except OSError:
        return None
    match = re.search(r"^listeners=CLIENTS://[^:]+:(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _ours(p: KafkaPaths) -> Callable[[list[str]], bool]:
    """Match a broker started with this project's server.properties (and no other java)."""
    return lambda args: "kafka.Kafka" in args and str(p.server_properties) in args


def running_pid(root: Path) -> int | None:
    """The pid of this project's running broker, or None."""
    p = paths(root)
    pid = read_pid(p.pid_file)
    if pid is not None and pid_alive(pid) and _ours(p)(cmdline(pid)):
        return pid
    # The pid file can be stale or gone (a crash test, a deleted .stack); look the broker up.
    found = find_pids(_ours(p))
    return found[0] if found else None


def _format_storage(p: KafkaPaths, classpath: str, progress: Progress | None) -> None:
    """Format the KRaft log folder once; meta.properties marks it as done."""
    if (p.data / "meta.properties").exists():
        return
    cluster_id = "-"
    while cluster_id.startswith("-"):  # the storage tool would read a leading '-' as an option
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    say(progress, f"kafka: formatting {p.data} (cluster id {cluster_id})")
    java = ["java", f"-Dlog4j2.configurationFile={p.log4j_properties}", "-cp", classpath]
    tool = ["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(p.server_properties)]
    run_checked([*java, *tool], "kafka-storage format")


def _wait_ready(p: KafkaPaths, pid: int, client_port: int, stall: float = STALL_TIMEOUT) -> None:
    """Wait for the ready line in the log and an accepting port, for as long as the broker
    lives and its log grows; raise with the log's end once it dies or goes quiet for `stall`."""
    size, moved = -1, time.monotonic()
    while True:
        if not pid_alive(pid):
            raise StackError(f"Kafka exited while starting; end of {p.log}:\n{log_tail(p.log)}")
        text = p.log.read_text(errors="replace") if p.log.exists() else ""
        if READY_LINE in text and port_accepts(client_port):
            return
        if len(text) != size:
            size, moved = len(text), time.monotonic()
        elif time.monotonic() - moved > stall:
            raise StackError(
                f"Kafka not ready and its log quiet for {stall:.0f} s; end of {p.log}:\n"
                f"{log_tail(p.log)}"
            )
        time.sleep(0.2)


def start(root: Path, progress: Progress | None = None) -> bool:
    """Start the broker unless it already runs; return True when this call started it."""
    p = paths(root)
    p.state.mkdir(parents=True, exist_ok=True)
    client_port = port()
    with file_lock(p.lock):
        pid = running_pid(root)
        if pid is not None:
            running_port = _configured_port(p)
            if running_port not in (None, client_port):
                raise StackError(
                    f"this project's Kafka already runs on port {running_port}, not {client_port} "
                    f"({PORT_VARIABLE}); stop it first"
                )
            p.pid_file.write_text(f"{pid}\n")
            _wait_ready(p, pid, client_port)
            say(progress, f"kafka: already running (pid {pid}) on {bootstrap()}")
            return False
        _ensure_tools(progress, need_maven=False)
        classpath = str(ensure_libs(progress) / "*")  # java expands the '*' itself
        for busy in (client_port, client_port + 1, client_port + 2):
            if port_accepts(busy):
                raise StackError(
                    f"port {busy} is already in use by another process; stop it or set "
                    f"{PORT_VARIABLE} (the controller uses that port + 1, operators + 2)"
                )
        p.server_properties.write_text(_server_properties(p, client_port, secrets(root)))
        p.log4j_properties.write_text(LOG4J2_PROPERTIES)
        _format_storage(p, classpath, progress)
        if p.log.exists():  # keep the previous run's log: it is what a crash test wants to read
            p.log.replace(p.log.with_name("broker.log.1"))
        logging = [
            f"-Dlog4j2.configurationFile={p.log4j_properties}",
            f"-Dkafka.logs.dir={p.state}",
        ]
        main = ["-cp", classpath, "kafka.Kafka", str(p.server_properties)]
        command = ["java", *JVM_OPTIONS, *logging, *main]
        say(progress, f"kafka: starting broker on {bootstrap()} (log {p.log})")
        pid = spawn_detached(command, p.log, p.state)
        p.pid_file.write_text(f"{pid}\n")
        try:
            _wait_ready(p, pid, client_port)
        except StackError:
            terminate(pid, 5.0)
            p.pid_file.unlink(missing_ok=True)
            raise
        say(progress, f"kafka: ready (pid {pid})")
        return True


def stop(root: Path, progress: Progress | None = None) -> bool:
    """Stop this project's broker (never any other java); return True when one was running."""
    p = paths(root)
    if not p.state.is_dir():
        return False
    with file_lock(p.lock):
        pids = find_pids(_ours(p))
        for pid in pids:
            say(progress, f"kafka: stopping broker (pid {pid})")
            terminate(pid, STOP_GRACE)
        p.pid_file.unlink(missing_ok=True)
        return bool(pids)


def status(root: Path) -> tuple[int | None, str]:
    """The running broker's pid (None when stopped) and a one-line description."""
    p = paths(root)
    return running_pid(root), f"Kafka {KAFKA_VERSION}, data {p.data}, log {p.log}"
