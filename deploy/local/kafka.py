"""A KRaft Kafka cluster of one or three nodes run from Maven-resolved jars, without Docker.

Each node is a combined broker and controller on 127.0.0.1; node n listens on the stack's
port + 3(n-1) for tenants, the next port for the controller quorum and the one after for
operators. One node is the developer's default; three (`./dev stack up --brokers 3`, or
CSODS_STACK_KAFKA_BROKERS=3) give topics replication factor 3 and min.insync.replicas 2, as
in production, so one node may be lost without a write refused or a record lost.

Security is always on, as in production (architecture §5): tenants connect to a SASL_SSL
listener with SCRAM-SHA-512; the controller and the operator's listener take TLS client
certificates only (the broker's own, and the provisioning super-user's); the KRaft
StandardAuthorizer refuses whatever no ACL allows, and only provisioning creates topics.
"""

from __future__ import annotations

import base64
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.local import certificates
from deploy.local.common import (
    Progress,
    StackError,
    cmdline,
    file_lock,
    find_pids,
    log_tail,
    pid_alive,
    port_accepts,
    port_from_env,
    read_pid,
    run_checked,
    say,
    spawn_detached,
    terminate,
    terminate_all,
)
from deploy.local.kafka_libs import KAFKA_VERSION, ensure_libs, ensure_tools
from deploy.local.secrets import secrets_dir

DEFAULT_PORT = 19092
PORT_VARIABLE = "CSODS_STACK_KAFKA_PORT"
BROKERS_VARIABLE = "CSODS_STACK_KAFKA_BROKERS"
BROKER_COUNTS = (1, 3)  # one for a laptop; three, for replicas as in production
PORTS_PER_NODE = 3
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
JVM_OPTIONS = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true"]

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


def paths(root: Path, node: int = 1) -> KafkaPaths:
    """A node's state folder for a project root: node 1 in .stack/kafka, node n in
    .stack/kafka/node-<n> (so a one-node stack keeps the folder it always had)."""
    top = root / ".stack" / "kafka"
    return KafkaPaths(top if node == 1 else top / f"node-{node}")


def port() -> int:
    """Node 1's tenants' SASL_SSL port; its controller listens on the next, operators' after."""
    return port_from_env(PORT_VARIABLE, DEFAULT_PORT)


def node_port(node: int) -> int:
    """The tenants' port of node `node` (1-based)."""
    return port() + PORTS_PER_NODE * (node - 1)


def _recorded_brokers(root: Path) -> Path:
    return paths(root).state / "brokers"


def formatted_brokers(root: Path) -> int | None:
    """How many nodes this project's cluster was formatted with (None: not formatted)."""
    try:
        return int(_recorded_brokers(root).read_text().strip())
    except (OSError, ValueError):
        # Formatted before the count was recorded: the one-node stack it then was.
        return 1 if (paths(root).data / "meta.properties").exists() else None


def brokers(root: Path) -> int:
    """How many nodes the stack runs: CSODS_STACK_KAFKA_BROKERS, else as formatted, else 1."""
    given = os.environ.get(BROKERS_VARIABLE, "").strip()
    if given:
        if not given.isdigit() or int(given) not in BROKER_COUNTS:
            raise StackError(f"{BROKERS_VARIABLE}: {given[:20]!r} is not one of {BROKER_COUNTS}")
        return int(given)
    return formatted_brokers(root) or 1


def bootstrap(root: Path) -> str:
    """The bootstrap addresses tenants' clients connect to (SASL_SSL): every node's."""
    return ",".join(f"127.0.0.1:{node_port(n)}" for n in range(1, brokers(root) + 1))


def admin_bootstrap(root: Path) -> str:
    """The operators' listeners (TLS client certificate): provisioning connects here."""
    return ",".join(f"127.0.0.1:{node_port(n) + 2}" for n in range(1, brokers(root) + 1))


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


def _server_properties(p: KafkaPaths, node: int, count: int, keys: KafkaSecrets) -> str:
    """Node `node`'s configuration: a combined broker+controller on loopback, secured, one
    of `count` voters."""
    client_port = node_port(node)
    controller_port, internal_port = client_port + 1, client_port + 2
    voters = ",".join(f"{n}@127.0.0.1:{node_port(n) + 1}" for n in range(1, count + 1))
    replicas = str(min(count, 3))
    in_sync = "2" if count >= 3 else "1"
    listeners = {
        "CLIENTS": (client_port, "SASL_SSL"),  # tenants: SCRAM password over TLS
        "CONTROLLER": (controller_port, "SSL"),  # the broker's own certificate only
        "INTERNAL": (internal_port, "SSL"),  # the broker and the provisioning super-user
    }
    scram = f"listener.name.clients.{SASL_MECHANISM.lower()}.sasl.jaas.config"
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node),
        "controller.quorum.voters": voters,
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
        # One node holds one replica of everything; three hold three, two of them in sync
        # before a write is acknowledged (acks=all), so one node may be lost.
        "default.replication.factor": replicas,
        "min.insync.replicas": in_sync,
        "offsets.topic.replication.factor": replicas,
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": in_sync,
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": in_sync,
        # Tests start consumers right away; the default 3 s delay only slows them down.
        "group.initial.rebalance.delay.ms": "0",
        # A broker whose heartbeats stop for this long is fenced, and its partitions led
        # elsewhere. 3 s fenced a busy single broker on a loaded 2-core machine 24 times in
        # 15 minutes. One node has nowhere to lead from, so it takes Kafka's own 9 s (a
        # restart after kill -9 waits that long for the old session); three take 6 s, so
        # a node lost is led around well within the 10 s the online form waits for a write.
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "9000" if count == 1 else "6000",
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


def _node_pid(root: Path, node: int) -> int | None:
    """The pid of one running node of this project's cluster, or None."""
    p = paths(root, node)
    pid = read_pid(p.pid_file)
    if pid is not None and pid_alive(pid) and _ours(p)(cmdline(pid)):
        return pid
    # The pid file can be stale or gone (a crash test, a deleted .stack); look the node up.
    found = find_pids(_ours(p))
    return found[0] if found else None


def running_pids(root: Path) -> dict[int, int | None]:
    """Each node of the stack's cluster and its pid (None when it is not running)."""
    return {node: _node_pid(root, node) for node in range(1, brokers(root) + 1)}


def running_pid(root: Path) -> int | None:
    """The pid of this project's running node 1, or None."""
    return _node_pid(root, 1)


def _cluster_id(root: Path) -> str:
    """The cluster's id, made once and kept beside node 1: every node is formatted with it."""
    kept = paths(root).state / "cluster.id"
    meta = paths(root).data / "meta.properties"
    if meta.exists():
        match = re.search(r"^cluster\.id=(\S+)", meta.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    if kept.exists():
        return kept.read_text().strip()
    cluster_id = "-"
    while cluster_id.startswith("-"):  # the storage tool would read a leading '-' as an option
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    kept.write_text(cluster_id + "\n")
    return cluster_id


def _format_storage(
    p: KafkaPaths, cluster_id: str, classpath: str, progress: Progress | None
) -> None:
    """Format a node's KRaft log folder once; meta.properties marks it as done."""
    if (p.data / "meta.properties").exists():
        return
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


def _check_count(root: Path, count: int) -> None:
    """Refuse to run a cluster formatted with another number of nodes (its quorum is fixed)."""
    formatted = formatted_brokers(root)
    if formatted is not None and formatted != count:
        raise StackError(
            f"this project's Kafka was formatted as {formatted} node(s), not {count}: stop the "
            f"stack and delete {paths(root).state} to make it anew with {count}"
        )


@dataclass(frozen=True)
class ClusterState:
    """What the cluster itself says: the brokers registered, and partitions short of replicas."""

    brokers: tuple[int, ...]
    under_replicated: tuple[str, ...]  # "topic/partition": fewer in sync than replicas
    offline: tuple[str, ...]  # "topic/partition": no leader


def cluster_state(root: Path, timeout: float = 5.0) -> ClusterState:
    """Ask the cluster, as the operator (TLS client certificate), how it stands."""
    from confluent_kafka.admin import AdminClient  # noqa: PLC0415 - only when asked

    keys = secrets(root)
    admin = AdminClient(
        {
            "bootstrap.servers": admin_bootstrap(root),
            "security.protocol": "SSL",
            "ssl.ca.location": str(keys.ca),
            "ssl.certificate.location": str(keys.admin.certificate),
            "ssl.key.location": str(keys.admin.key),
            "log_level": "0",
        }
    )
    found = admin.list_topics(timeout=timeout)
    under: list[str] = []
    offline: list[str] = []
    for name, topic in sorted(found.topics.items()):
        for number, partition in sorted(topic.partitions.items()):
            if partition.leader < 0:
                offline.append(f"{name}/{number}")
            elif len(partition.isrs) < len(partition.replicas):
                under.append(f"{name}/{number}")
    return ClusterState(tuple(sorted(found.brokers)), tuple(under), tuple(offline))


def _wait_whole(root: Path, count: int, stall: float = STALL_TIMEOUT) -> None:
    """Wait until every node is registered with the quorum and no partition lacks a leader
    or a replica in sync (a node that rejoins catches up first); give up after `stall`
    seconds with no progress."""
    last: ClusterState | None = None
    moved = time.monotonic()
    while True:
        try:
            state = cluster_state(root)
        except Exception:  # noqa: BLE001 - the cluster not answering yet is a state too
            state = None
        whole = state is not None and len(state.brokers) == count
        if whole and state is not None and not (state.under_replicated or state.offline):
            return
        if state != last:
            last, moved = state, time.monotonic()
        elif time.monotonic() - moved > stall:
            raise StackError(f"Kafka not whole after {stall:.0f} s without progress: {last}")
        time.sleep(0.5)


def start(root: Path, progress: Progress | None = None) -> bool:
    """Start every node that is not running; return True when this call started one."""
    top = paths(root)
    top.state.mkdir(parents=True, exist_ok=True)
    count = brokers(root)
    with file_lock(top.lock):
        _check_count(root, count)
        pids = running_pids(root)
        if all(pid is not None for pid in pids.values()):
            running_port = _configured_port(top)
            if running_port not in (None, node_port(1)):
                raise StackError(
                    f"this project's Kafka already runs on port {running_port}, not "
                    f"{node_port(1)} ({PORT_VARIABLE}); stop it first"
                )
            for node, pid in pids.items():
                assert pid is not None
                paths(root, node).pid_file.write_text(f"{pid}\n")
                _wait_ready(paths(root, node), pid, node_port(node))
            if count > 1:
                _wait_whole(root, count)
            say(progress, f"kafka: already running ({_pids_text(pids)}) on {bootstrap(root)}")
            return False
        existed = formatted_brokers(root) is not None
        ensure_tools(progress, need_maven=False)
        classpath = str(ensure_libs(progress) / "*")  # java expands the '*' itself
        keys = secrets(root)
        cluster_id = _cluster_id(root)
        started: dict[int, int] = {}
        for node, pid in pids.items():
            if pid is None:
                started[node] = _spawn(
                    root,
                    node,
                    count=count,
                    keys=keys,
                    cluster_id=cluster_id,
                    classpath=classpath,
                    progress=progress,
                )
        _recorded_brokers(root).write_text(f"{count}\n")
        try:
            # All spawned before any is waited for: a node is ready only once a quorum is.
            for node, pid in started.items():
                _wait_ready(paths(root, node), pid, node_port(node))
            if count > 1:
                say(progress, f"kafka: waiting for all {count} nodes and every replica in sync")
                _wait_whole(root, count)
        except StackError:
            for node, pid in started.items():
                terminate(pid, 5.0)
                paths(root, node).pid_file.unlink(missing_ok=True)
            raise
        if existed:
            _restore_principals(root, progress)
        say(progress, f"kafka: ready ({_pids_text(running_pids(root))})")
        return True


def _restore_principals(root: Path, progress: Progress | None) -> None:
    """Make again the SCRAM credentials a restarted cluster came back without (see
    services.access.broker.restore_principals), from the passwords the stack keeps."""
    from services.access.broker import restore_principals  # noqa: PLC0415 - the operator's
    from services.access.credentials import CredentialStore  # noqa: PLC0415
    from services.runtime.kafka_access import KafkaAccess  # noqa: PLC0415

    keys = secrets(root)
    operator = KafkaAccess(
        admin_bootstrap(root),
        "SSL",
        ca_file=keys.ca,
        certificate_file=keys.admin.certificate,
        key_file=keys.admin.key,
    )
    restored = restore_principals(operator, CredentialStore(keys.users))
    say(progress, f"kafka: {restored} principals' credentials made again after the restart")


def _pids_text(pids: dict[int, int | None]) -> str:
    return ", ".join(f"node {node} pid {pid}" for node, pid in pids.items())


def _spawn(
    root: Path,
    node: int,
    *,
    count: int,
    keys: KafkaSecrets,
    cluster_id: str,
    classpath: str,
    progress: Progress | None,
) -> int:
    """Write one node's configuration, format its storage once, and start it."""
    p = paths(root, node)
    p.state.mkdir(parents=True, exist_ok=True)
    client_port = node_port(node)
    for busy in (client_port, client_port + 1, client_port + 2):
        if port_accepts(busy):
            raise StackError(
                f"port {busy} is already in use by another process; stop it or set "
                f"{PORT_VARIABLE} (node n uses that port + 3(n-1) and the two after it)"
            )
    p.server_properties.write_text(_server_properties(p, node, count, keys))
    p.log4j_properties.write_text(LOG4J2_PROPERTIES)
    _format_storage(p, cluster_id, classpath, progress)
    if p.log.exists():  # keep the previous run's log: it is what a crash test wants to read
        p.log.replace(p.log.with_name("broker.log.1"))
    logging = [
        f"-Dlog4j2.configurationFile={p.log4j_properties}",
        f"-Dkafka.logs.dir={p.state}",
    ]
    main = ["-cp", classpath, "kafka.Kafka", str(p.server_properties)]
    command = ["java", *JVM_OPTIONS, *logging, *main]
    say(progress, f"kafka: starting node {node} on 127.0.0.1:{client_port} (log {p.log})")
    pid = spawn_detached(command, p.log, p.state)
    p.pid_file.write_text(f"{pid}\n")
    return pid


def stop(root: Path, progress: Progress | None = None) -> bool:
    """Stop this project's nodes (never any other java); return True when one was running."""
    top = paths(root)
    if not top.state.is_dir():
        return False
    with file_lock(top.lock):
        # Every node ever made here, whatever the count now: a node left running holds ports.
        nodes = [1, *(int(d.name[5:]) for d in top.state.glob("node-*") if d.name[5:].isdigit())]
        running = {
            node: find_pids(_ours(paths(root, node))) for node in sorted(set(nodes), reverse=True)
        }
        for node, pids in running.items():
            for pid in pids:
                say(progress, f"kafka: stopping node {node} (pid {pid})")
        terminate_all([pid for pids in running.values() for pid in pids], STOP_GRACE)
        for node in running:
            paths(root, node).pid_file.unlink(missing_ok=True)
        return any(running.values())


def status(root: Path) -> tuple[int | None, str]:
    """Node 1's pid (None when stopped) and a description naming every node."""
    top = paths(root)
    pids = running_pids(root)
    nodes = "; ".join(
        f"node {node} {'pid ' + str(pid) if pid else 'stopped'} on 127.0.0.1:{node_port(node)}"
        for node, pid in pids.items()
    )
    return pids[1], f"Kafka {KAFKA_VERSION}, {nodes}; data {top.data}, log {top.log}"
