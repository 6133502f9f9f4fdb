"""Every queue sets its delivery limit explicitly: RabbitMQ 3.x has none by default, so a message that
keeps failing would come back for ever instead of reaching the dead letters."""

from typing import Any, cast

import pytest
from aio_pika.abc import AbstractChannel

from shared import topology

pytestmark = pytest.mark.unit


class _Bindable:
    async def bind(self, exchange: str, routing_key: str) -> None:
        pass


class _RecordingChannel:
    def __init__(self) -> None:
        self.declared: dict[str, dict[str, Any]] = {}

    async def declare_exchange(self, name: str, *args: Any, **options: Any) -> None:
        pass

    async def declare_queue(self, name: str, **options: Any) -> _Bindable:
        self.declared[name] = options["arguments"]
        return _Bindable()


async def test_every_queue_sets_an_explicit_delivery_limit() -> None:
    channel = _RecordingChannel()
    commands = [topology.command_queue(service, "p.") for service in ("order", "payment")]
    await topology.declare(cast(AbstractChannel, channel), commands, "p.")
    await topology.declare_replica_reply_queue(cast(AbstractChannel, channel), "r1", "p.", 1.0)

    limits = {name: arguments.get("x-delivery-limit") for name, arguments in channel.declared.items()}

    dead_letters = topology.dead_letter_queue("p.")
    assert limits.pop(dead_letters) == topology.DEAD_LETTERS_DELIVERY_LIMIT
    assert limits == dict.fromkeys(
        [*commands, topology.reply_queue("p."), topology.replica_reply_queue("r1", "p.")],
        topology.DELIVERY_LIMIT,
    )
