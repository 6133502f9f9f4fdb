"""Every command and reply delivered twice: each effect happens once, each step advances once."""

import asyncio
from collections import Counter

import pytest

from ops.system import ORCHESTRATOR
from ops.traffic import Traffic, settled
from tests.faults.conftest import Launch
from tests.harness import SagaApi

pytestmark = pytest.mark.faults


async def test_duplicated_messages_change_nothing_twice(launch: Launch) -> None:
    async with launch(env={"FAULT_DUPLICATE_PUBLISHES": "true"}, orchestrators=2) as system:
        traffic = Traffic([system.url(ORCHESTRATOR), system.url(f"{ORCHESTRATOR}-2")], count=60)
        await traffic.run()

        books = await settled(system, traffic)
        assert books.violations == []
        assert books.terminal == traffic.count

        async with SagaApi(system.url()) as api:
            for order_id in traffic.accepted[:20]:
                history = await api.history(order_id)
                replies = Counter(e["command"] for e in history if e["type"] == "REPLY")
                assert set(replies.values()) == {1}, f"{order_id} took a reply twice: {history}"


async def test_replicas_racing_on_one_saga_record_each_transition_once(launch: Launch) -> None:
    """A reply its replica does not take at once moves on to the shared queue, so both replicas
    get duplicated replies of one saga; version checks let one of them write."""
    env = {"FAULT_DUPLICATE_PUBLISHES": "true", "REPLY_HANDOVER_SECONDS": "0.005"}
    async with launch(env=env, orchestrators=2) as system:
        traffic = Traffic(
            [system.url(ORCHESTRATOR), system.url(f"{ORCHESTRATOR}-2")], count=40, concurrency=10
        )
        await traffic.run()
        books = await settled(system, traffic)
        assert books.violations == []
        assert books.terminal == traffic.count

        async with SagaApi(system.url()) as api:
            histories = await asyncio.gather(*(api.history(order_id) for order_id in traffic.accepted))
        for history in histories:
            states = [e["state"] for e in history if e["type"] == "STATE"]
            assert len(states) == len(set(states)), states
