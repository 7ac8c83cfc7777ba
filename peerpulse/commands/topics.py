"""``peerpulse topics create|list``: make the catalogue topics exist, show what the broker has."""

from __future__ import annotations

import argparse

from infra.settings import Settings
from peerpulse.where import BROKER


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("topics", help="create or list the catalogue topics")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create missing catalogue topics (idempotent)")
    create.add_argument("--partitions", type=int, help="default: PEERPULSE_TOPIC_PARTITIONS")
    create.set_defaults(handler=_create, uses=(BROKER,))
    ls = actions.add_parser("list", help="show each catalogue topic and its partitions")
    ls.set_defaults(handler=_list, uses=(BROKER,))


def _create(args: argparse.Namespace, settings: Settings) -> int:
    from infra.topics import create_topics

    partitions = args.partitions or settings.topic_partitions
    for name, created in _on_broker(settings, create_topics, partitions).items():
        print(f"{'created' if created else 'exists '}  {name}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from infra.topics import TOPICS_BY_NAME, describe_topics

    for name, partitions in _on_broker(settings, describe_topics).items():
        topic = TOPICS_BY_NAME[name]
        state = f"{partitions} partitions" if partitions else "MISSING"
        policy = "compact" if topic.compacted else "delete"
        print(f"{name:32} {state:14} {policy:8} {topic.description}")
    return 0


def _on_broker(settings: Settings, fn, *args):
    """Run ``fn(bootstrap, *args)``, turning "no broker there" into a one-line error."""
    from kafka.errors import KafkaError

    from infra.broker import wait_for_kafka
    from infra.errors import UserFacingError
    from infra.topics import TopicCreationError

    wait_for_kafka(settings.kafka_bootstrap)
    try:
        return fn(settings.kafka_bootstrap, *args)
    except TopicCreationError as exc:
        raise UserFacingError(str(exc)) from exc
    except KafkaError as exc:
        raise UserFacingError(
            f"no Kafka broker answers at {settings.kafka_bootstrap} ({exc.__class__.__name__})"
        ) from exc
