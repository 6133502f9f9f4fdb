"""The orchestrator moves a saga on only for a reply from the step's service that answers a command
it sent; any other reply is dead-lettered with the reason, and the saga stays where it was."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ops.broker_access import BrokerAccess
from ops.system import System
from shared.topology import reply_queue
from tests.dead_letters import stored_letters
from tests.harness import SagaApi, order, running_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref
from tests.senders import correlation_id, publish_as

pytestmark = pytest.mark.e2e

# The inventory service is down, so every saga waits at this state for a `reserveStock` reply;
# with a long deadline, nothing else moves it while a test looks.
WAITING = "PAYMENT_PROCESSED"


@pytest.fixture(scope="module")
async def waiting_system(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    log_dir = tmp_path_factory.mktemp("senders-logs")
    env = {"STEP_TIMEOUT_SECONDS": "600", "DB_POOL_SIZE": "4"}
    async with running_system(infra, broker, f"{run_id}_senders_", log_dir, env=env) as system:
        system.kill("inventory-service")
        yield system


@pytest.fixture
async def api(waiting_system: System) -> AsyncIterator[SagaApi]:
    client = SagaApi(waiting_system.url())
    yield client
    await client.http.aclose()


async def _waiting_saga(api: SagaApi) -> tuple[str, str]:
    """A saga that waits for its `reserveStock` reply: (order id, saga id)."""
    order_id = random_ref("order")
    saga_id = (await api.start(order(order_id))).json()["sagaId"]
    await eventually(lambda: api.status(order_id), lambda status: status["status"] == WAITING)
    return order_id, saga_id


def _reserved(saga_id: str, correlation: str, marker: str) -> dict[str, Any]:
    result = {"productId": "item-001", "quantity": 1, "status": "RESERVED", "marker": marker}
    return {
        "success": True,
        "sagaId": saga_id,
        "stepId": "reserveStock",
        "result": result,
        "error": None,
        "correlationId": correlation,
    }


async def _reply(system: System, role: str, reply: dict[str, Any]) -> None:
    await publish_as(system, role, reply_queue(system.config.queue_prefix), json.dumps(reply).encode())


async def test_a_reply_from_another_services_user_is_dead_lettered(
    waiting_system: System, api: SagaApi
) -> None:
    order_id, saga_id = await _waiting_saga(api)
    marker = random_ref("forged")
    # The right correlation id, even: only the sender is wrong.
    forged = _reserved(saga_id, correlation_id(waiting_system, saga_id, "reserveStock"), marker)

    await _reply(waiting_system, "payment", forged)
    [dead] = await stored_letters(waiting_system, marker)

    payment, inventory = (
        waiting_system.config.access.user("payment"),
        waiting_system.config.access.user("inventory"),
    )
    assert f"reply for reserveStock sent by '{payment}', not by '{inventory}'" in dead["reason"]
    assert (await api.status(order_id))["status"] == WAITING
    assert "REPLY" not in [
        event["type"] for event in await api.history(order_id) if event["step"] == "reserveStock"
    ]


@pytest.mark.parametrize(
    "correlation",
    ["attempt changed", "another saga", "another step", "made up", "none"],
)
async def test_a_reply_whose_correlation_id_no_command_had_is_dead_lettered(
    waiting_system: System, api: SagaApi, correlation: str
) -> None:
    order_id, saga_id = await _waiting_saga(api)
    _, other_saga = await _waiting_saga(api)
    marker = random_ref("forged")
    wrong = {
        "attempt changed": "2." + correlation_id(waiting_system, saga_id, "reserveStock").partition(".")[2],
        "another saga": correlation_id(waiting_system, other_saga, "reserveStock"),
        "another step": correlation_id(waiting_system, saga_id, "processPayment"),
        "made up": "1." + "0" * 32,
        "none": None,
    }[correlation]

    await _reply(waiting_system, "inventory", {**_reserved(saga_id, "", marker), "correlationId": wrong})
    [dead] = await stored_letters(waiting_system, marker)

    assert "carries a correlation id no command of saga" in dead["reason"]
    assert (await api.status(order_id))["status"] == WAITING


async def test_the_step_services_reply_to_the_command_sent_moves_the_saga_on(
    waiting_system: System, api: SagaApi
) -> None:
    """The counterpart of the refusals above: the same reply, from the right user and correlated."""
    order_id, saga_id = await _waiting_saga(api)
    reply = _reserved(saga_id, correlation_id(waiting_system, saga_id, "reserveStock"), random_ref("m"))

    await _reply(waiting_system, "inventory", reply)

    await eventually(lambda: api.status(order_id), lambda status: status["status"] != WAITING)
    states = await api.states(order_id)
    assert "STOCK_RESERVED" in states
