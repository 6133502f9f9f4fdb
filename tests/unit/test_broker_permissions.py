"""Each broker user's permissions, as regular expressions over resource names: what they let through."""

import re

import pytest

from ops import registry
from shared import access, topology

pytestmark = pytest.mark.unit

SERVICES = registry.services()

PREFIX = "run1."


def _allows(pattern: str, name: str) -> bool:
    return re.search(pattern, name) is not None  # RabbitMQ matches unanchored; ours are anchored


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_its_own_queue_and_writes_only_replies_and_dead_letters(service: str) -> None:
    configure, write, read = access.permissions(service, re.escape(PREFIX))
    others = [topology.command_queue(other, PREFIX) for other in SERVICES if other != service]

    assert _allows(read, topology.command_queue(service, PREFIX))
    assert not any(_allows(read, name) for name in [*others, topology.reply_queue(PREFIX)])
    assert not _allows(read, topology.command_queue(service)), "another prefix's queue"
    assert _allows(write, topology.reply_exchange(PREFIX))
    assert _allows(write, topology.dead_letter_exchange(PREFIX))
    assert not _allows(write, topology.command_exchange(PREFIX))
    assert not _allows(write, "amq.default") and not _allows(write, "")
    assert not _allows(configure, topology.command_queue(service, PREFIX))


def test_the_orchestrator_configures_only_its_replicas_reply_queues() -> None:
    configure, write, read = access.permissions(access.ORCHESTRATOR, re.escape(PREFIX))
    replica = topology.replica_reply_queue("saga-orchestrator-2", PREFIX)

    assert _allows(configure, replica)
    assert not _allows(configure, topology.reply_queue(PREFIX))
    assert not any(_allows(configure, name) for name in topology.exchanges(PREFIX))
    assert _allows(write, topology.command_exchange(PREFIX))
    assert _allows(read, topology.reply_queue(PREFIX)) and _allows(read, replica)
    assert not any(_allows(read, topology.command_queue(service, PREFIX)) for service in SERVICES)
    assert _allows(read, topology.dead_letter_queue(PREFIX)), "it keeps the dead letters"


def test_users_are_named_after_their_vhost_and_the_url_names_both() -> None:
    assert access.user("payment", "saga") == "saga.payment"
    assert access.vhost_of("amqp://u:p@host:5672/saga") == "saga"
    assert access.vhost_of("amqp://u:p@host:5672/") == "/"
    assert access.user_of("amqp://saga.payment:p@host:5672/saga") == "saga.payment"
