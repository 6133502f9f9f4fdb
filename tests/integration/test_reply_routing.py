"""Replies go back to the replica that sent the command, and on to any replica when it does not take them."""

import pytest

from shared import json
from shared.topology import command_queue, replica_reply_queue
from tests.integration.bus import next_message
from tests.integration.harness import Participant, command
from tests.integration.services import SERVICES, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return SERVICES[0]  # the routing is the same for every service


async def test_a_reply_goes_to_the_queue_its_command_names(participant: Participant) -> None:
    own = await participant.bus.replica_queue(random_ref("replica"), handover_seconds=60)
    message = command(participant.spec.forward, await participant.arrange(random_ref("o")))

    await participant.bus.send(participant.spec.service, message, reply_to=own.name)

    reply = await next_message(own)
    assert reply.message_id == str(message.message_id)
    assert json.loads(reply.body)["success"] is True
    assert participant.bus.replies_so_far(str(message.message_id)) == []


async def test_a_reply_to_a_replica_queue_that_is_gone_goes_to_the_shared_queue(
    participant: Participant,
) -> None:
    gone = replica_reply_queue(random_ref("gone"), participant.bus.prefix)
    message = command(participant.spec.forward, await participant.arrange(random_ref("o")))

    await participant.bus.send(participant.spec.service, message, reply_to=gone)

    [reply] = await participant.bus.replies_to(str(message.message_id))
    assert reply["success"] is True


async def test_a_reply_to_that_names_no_reply_queue_is_ignored(participant: Participant) -> None:
    """A command cannot turn a service's reply into a command to another service."""
    elsewhere = command_queue("payment", participant.bus.prefix)
    message = command(participant.spec.forward, await participant.arrange(random_ref("o")))

    await participant.bus.send(participant.spec.service, message, reply_to=elsewhere)

    [reply] = await participant.bus.replies_to(str(message.message_id))
    assert reply["success"] is True


async def test_a_reply_its_replica_does_not_take_moves_on_to_the_shared_queue(
    participant: Participant,
) -> None:
    """Nobody consumes this replica's queue, as when its replica died: after the handover time
    the reply moves on to the shared queue, for any replica to take."""
    own = await participant.bus.replica_queue(random_ref("dead"), handover_seconds=0.2)
    message = command(participant.spec.forward, await participant.arrange(random_ref("o")))

    await participant.bus.send(participant.spec.service, message, reply_to=own.name)

    [reply] = await participant.bus.replies_to(str(message.message_id))
    assert reply["success"] is True
    assert (await own.declare()).message_count == 0
