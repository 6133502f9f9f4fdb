"""Which queues a service may send a reply to, and how a replica names its own."""

import os
import socket

import pytest
from pydantic import ValidationError

from saga_orchestrator.settings import Settings
from shared.topology import command_queue, dead_letter_queue, is_reply_queue, replica_reply_queue, reply_queue
from tests.settings import explicit

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("prefix", ["", "run1."])
def test_the_shared_and_every_replica_queue_are_reply_queues(prefix: str) -> None:
    assert is_reply_queue(reply_queue(prefix), prefix)
    assert is_reply_queue(replica_reply_queue("saga-orchestrator-2", prefix), prefix)


@pytest.mark.parametrize(
    "name",
    [
        command_queue("payment"),
        dead_letter_queue(),
        f"{reply_queue()}-elsewhere",
        replica_reply_queue("r1", "other."),
        "",
    ],
)
def test_no_other_queue_is_a_reply_queue(name: str) -> None:
    assert not is_reply_queue(name)


def test_a_replica_is_named_after_its_host_and_process_unless_told() -> None:
    assert explicit(Settings).replica == f"{socket.gethostname()}.{os.getpid()}"
    assert explicit(Settings, replica="saga-orchestrator-2").replica == "saga-orchestrator-2"


@pytest.mark.parametrize("name", ["", "a b", "a/b", "a#b"])
def test_a_replica_name_that_would_not_make_a_plain_queue_name_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="replica"):
        explicit(Settings, replica=name)
