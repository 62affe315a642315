"""Kafka clients: the FastStream broker, the relay's producer, and topic set-up."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware

from schemas.catalogue import spec_for
from services.runtime.metrics import REGISTRY_IN_USE
from services.runtime.settings import Settings

log = structlog.get_logger(__name__)


def make_broker(settings: Settings, *, client_id: str) -> KafkaBroker:
    """The FastStream broker of a service: idempotent producer, every write acked by all."""
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        logger=None,
        middlewares=(KafkaPrometheusMiddleware(registry=REGISTRY_IN_USE, app_name=client_id),),
    )


async def start_producer(settings: Settings, *, client_id: str) -> AIOKafkaProducer:
    """A started idempotent producer (acks=all) for the outbox relay."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
    )
    await producer.start()
    return producer


def _configs(topic: str) -> dict[str, str]:
    """Topic settings from the topic map: how long the topic keeps its records."""
    spec = spec_for(topic)
    if spec is None:
        return {}
    return {"retention.ms": str(int(spec.retention.total_seconds() * 1000))}


async def ensure_topics(settings: Settings, names: Iterable[str]) -> list[str]:
    """Create the topics that do not exist yet; return those created."""
    wanted = sorted(set(names))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(
                    name=name,
                    num_partitions=settings.topic_partitions,
                    replication_factor=settings.topic_replication,
                    topic_configs=_configs(name),
                )
                for name in missing
            ]
        )
        for name, code, *_ in response.topic_errors:
            # 36: created meanwhile by another process, which is what we wanted.
            if code not in (0, TopicAlreadyExistsError.errno):
                raise RuntimeError(f"cannot create topic {name}: Kafka error {code}")
    finally:
        await admin.close()
    log.info("topics_created", topics=missing)
    return missing
