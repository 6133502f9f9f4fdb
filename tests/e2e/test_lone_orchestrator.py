"""The orchestrator alone, no service answering: its sagas stay running, so long-polls hold and a
reply the test publishes is the only one a saga gets."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import httpx
import pytest

from ops.broker_access import BrokerAccess
from ops.system import ORCHESTRATOR, System
from shared.topology import reply_queue
from tests.dead_letters import stored_letters
from tests.harness import order, prepared_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref
from tests.senders import correlation_id, publish_as

pytestmark = pytest.mark.e2e

MAX_WAITERS = 2


@pytest.fixture
async def lone(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path: Path
) -> AsyncIterator[System]:
    prefix = f"{run_id}_{random_ref('lone').replace('-', '')}_"
    # Long deadlines: a saga nobody answers stays at its first step for the whole test.
    env = {"MAX_WAITERS": str(MAX_WAITERS), "STEP_TIMEOUT_SECONDS": "60", "DB_POOL_SIZE": "4"}
    async with prepared_system(infra, broker, prefix, tmp_path / "logs", env=env) as config:
        system = System(config)
        try:
            system.start(ORCHESTRATOR)
            await asyncio.to_thread(system.wait_ready, [ORCHESTRATOR], 60)
            yield system
        finally:
            system.stop_all()


async def test_long_polls_beyond_max_waiters_get_429_and_health_still_answers(lone: System) -> None:
    async with httpx.AsyncClient(base_url=lone.url(), timeout=90) as http:
        order_id = random_ref("order")
        assert (await http.post("/saga/start", json=order(order_id))).status_code == 202
        polls = [
            asyncio.create_task(http.get(f"/saga/{order_id}/status", params={"wait": 60}))
            for _ in range(MAX_WAITERS + 3)
        ]

        async def answered() -> int:
            return len(_done(polls))

        try:
            # Whichever come first hold their places, and the saga never settles: the rest are refused.
            await eventually(answered, lambda count: count == 3, timeout=30)
            start = await http.post("/saga/start", params={"wait": 1}, json=order(random_ref("order")))
            health = await http.get("/healthz")
            plain = await http.get(f"/saga/{order_id}/status")  # no wait: no place needed

            refused = [task.result() for task in _done(polls)]
            assert {(r.status_code, r.headers["Retry-After"]) for r in refused} == {(429, "1")}
            assert start.status_code == 429
            assert (health.status_code, plain.status_code) == (200, 200)
            assert len(_done(polls)) == 3  # the others still hold
        finally:
            for task in polls:
                task.cancel()
            await asyncio.gather(*polls, return_exceptions=True)


def _done(tasks: list[asyncio.Task[httpx.Response]]) -> list[asyncio.Task[httpx.Response]]:
    return [task for task in tasks if task.done()]


async def test_a_reply_whose_result_holds_nul_is_dead_lettered_and_none_stays_unacked(lone: System) -> None:
    prefix = lone.config.queue_prefix
    async with httpx.AsyncClient(base_url=lone.url(), timeout=10) as http:
        order_id = random_ref("order")
        saga_id = (await http.post("/saga/start", json=order(order_id))).json()["sagaId"]
        # The reply the saga waits for, but with text Postgres cannot store in its history.
        reply = {
            "success": True,
            "sagaId": saga_id,
            "stepId": "createOrder",
            "result": {"note": "a\u0000b"},
            "correlationId": correlation_id(lone, saga_id, "createOrder"),
        }
        connection = await aio_pika.connect(lone.config.amqp_url)
        async with connection:
            channel = await connection.channel()
            await publish_as(lone, "order", reply_queue(prefix), json.dumps(reply).encode())
            [dead] = await stored_letters(lone, saga_id)

            assert json.loads(dead["payload"])["sagaId"] == saga_id
            assert "NUL" in dead["reason"]
            assert (await http.get(f"/saga/{order_id}/status")).json()["status"] == "STARTED"
            # Were the reply left unacked, stopping its consumer would put it back in its queue.
            await asyncio.to_thread(lone.stop_all)
            replies = await channel.declare_queue(reply_queue(prefix), passive=True)
            assert replies.declaration_result.message_count == 0
