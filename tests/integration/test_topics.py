"""Topics are created as the topic map says: partitions and retention."""

from __future__ import annotations

from collections.abc import Callable

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas import topics
from schemas.catalogue import INBOX_RETENTION, STREAM_RETENTION
from services.runtime.broker import ensure_topics
from services.runtime.settings import Settings


async def test_topics_get_the_retention_of_the_topic_map(
    settings_for: Callable[..., Settings], tenant: str
) -> None:
    settings = settings_for(tenant, topic_partitions=2)
    stream = topics.stream(tenant, "intake", "enquiry-registered")
    inbox = topics.inbox(tenant)
    assert set(await ensure_topics(settings, [stream, inbox])) == {stream, inbox}
    assert await ensure_topics(settings, [stream, inbox]) == []  # already there: nothing to do

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in (stream, inbox)]
        )
        metadata = await admin.describe_topics([stream])
    finally:
        await admin.close()
    retention = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}["retention.ms"]
        for response in described
        for resource in response.resources
    }
    assert retention == {
        stream: str(int(STREAM_RETENTION.total_seconds() * 1000)),
        inbox: str(int(INBOX_RETENTION.total_seconds() * 1000)),
    }
    assert len(metadata[0]["partitions"]) == 2
