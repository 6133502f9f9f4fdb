"""The `saga` command line against the running system, as an operator uses it: start, list, show,
cancel, retry, and the dead letters; each answer with its exit code."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import pytest

from ops.system import free_ports, replica
from shared.topology import command_queue
from tests.cli import Ran, saga
from tests.dead_letters import letter_of, poison, reject_command
from tests.e2e.conftest import Operated
from tests.harness import SagaApi
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e

OK, REFUSED, USAGE, AUTH, UNAVAILABLE = 0, 1, 2, 3, 4


@pytest.fixture
async def api(operated: Operated) -> AsyncIterator[SagaApi]:
    async with SagaApi(operated.system.url(), operated.operator_key) as client:
        yield client


Run = Callable[..., Awaitable[Ran]]


def _as_operator(operated: Operated) -> Run:
    return partial(saga, operated.system.url(), operated.operator_key)


async def test_start_list_and_show_a_saga(operated: Operated) -> None:
    run = _as_operator(operated)
    order_id = random_ref("order")

    started = await run("start", order_id, "--quantity", "2", "--amount", "12.5", "--wait", "30")
    assert started.code == OK and f"{order_id}: COMPLETED" in started.out

    assert order_id in (await run("list", "--status", "COMPLETED", "--workflow", "order")).out
    assert order_id not in (await run("list", "--status", "FAILED")).out
    assert order_id not in (await run("list", "--workflow", "another")).out
    shown = await run("show", order_id)
    assert shown.code == OK
    assert "status:      COMPLETED" in shown.out
    for command in ("createOrder", "processPayment", "reserveStock", "createShipment"):
        assert command in shown.out
    assert "TOOK" in shown.out and " ms " in shown.out
    events = shown.out.split("REPLICA", 1)[1].splitlines()[1:]
    assert events and all(f" {replica(0)} " in line for line in events), "each event names its replica"
    assert (await run("cancel", order_id)).code == REFUSED, "a completed saga is not cancelled"


async def test_each_kind_of_failure_has_its_exit_code(operated: Operated) -> None:
    url = operated.system.url()
    assert (await saga(url, None, "list")).code == AUTH
    assert (await saga(url, "not-a-key-of-this-system", "list")).code == AUTH
    assert (await saga(url, operated.client_key, "dead-letters")).code == AUTH
    assert (await saga(url, operated.operator_key, "show", random_ref("order"))).code == REFUSED
    assert (await saga(url, operated.operator_key, "list", "--stuck", "soon")).code == USAGE
    both = await saga(url, operated.operator_key, "dead-letters", "--redrive", "1", "--discard", "2")
    assert both.code == USAGE
    assert (await saga(url, operated.operator_key, "dead-letters", "--redrive", "999999999")).code == REFUSED
    nowhere = f"http://127.0.0.1:{free_ports()}"
    assert (await saga(nowhere, operated.operator_key, "list")).code == UNAVAILABLE


async def test_cancel_a_running_saga(operated: Operated, api: SagaApi) -> None:
    run, system = _as_operator(operated), operated.system
    order_id = random_ref("order")
    system.kill("payment-service")  # so the saga waits at processPayment
    try:
        assert (await run("start", order_id)).code == OK
        await eventually(lambda: api.status(order_id), lambda s: s["status"] == "ORDER_CREATED")
        cancelled = await run("cancel", order_id)
        assert cancelled.code == OK and "COMPENSATING" in cancelled.out
    finally:
        await asyncio.to_thread(system.restart, "payment-service")
    assert (await api.finished(order_id))["status"] == "CANCELLED"
    assert (await run("cancel", order_id)).code == OK, "already cancelled"


async def test_retry_a_saga_parked_in_compensation_failed(operated: Operated, api: SagaApi) -> None:
    run, system = _as_operator(operated), operated.system
    order_id = random_ref("order")
    # Fails at shipping (over 10), then releaseStock keeps failing: the saga parks. (Whatever another
    # test of this shared system left it with, inventory fails every releaseStock again.)
    await asyncio.to_thread(system.restart, "inventory-service", env={"FAULT_FAIL_COMMANDS": "releaseStock"})
    parked = await run("start", order_id, "--quantity", "20", "--wait", "30")
    assert parked.code == OK and "COMPENSATION_FAILED" in parked.out
    assert (await saga(system.url(), operated.client_key, "retry", order_id)).code == AUTH

    await asyncio.to_thread(system.restart, "inventory-service", env={"FAULT_FAIL_COMMANDS": ""})
    retried = await run("retry", order_id)

    assert retried.code == OK
    assert (await api.finished(order_id))["status"] == "FAILED"
    assert "ops" in [event["actor"] for event in await api.history(order_id)]
    assert (await run("retry", order_id)).code == REFUSED, "nothing left to retry"


async def test_list_discard_and_redrive_dead_letters(operated: Operated, api: SagaApi) -> None:
    run = _as_operator(operated)
    queue = command_queue("order", operated.system.config.queue_prefix)
    discarded, redriven = await poison(operated.system, queue), await poison(operated.system, queue)

    listed = await eventually(lambda: run("dead-letters"), lambda r: discarded in r.out and redriven in r.out)
    ids = {}
    for line in listed.out.splitlines():
        for marker in (discarded, redriven):
            if marker in line:
                assert queue in line and "Invalid JSON" in line and "OPEN" in line
                ids[marker] = line.split()[0]

    assert (await run("dead-letters", "--discard", ids[discarded])).code == OK
    assert (await run("dead-letters", "--discard", ids[discarded])).code == REFUSED
    assert discarded not in (await run("dead-letters")).out
    assert discarded in (await run("dead-letters", "--state", "all")).out
    sent = await run("dead-letters", "--redrive", ids[redriven])
    assert sent.code == OK and "REDRIVEN" in sent.out

    # Still not JSON, so its service dead-letters it again: its letter is open once more.
    letter = await eventually(
        lambda: api.http.get(f"/dead-letters/{ids[redriven]}"), lambda r: r.json()["state"] == "OPEN"
    )
    assert [(a["action"], a["actor"]) for a in letter.json()["actions"]] == [("REDRIVEN", "ops")]


async def test_a_redriven_command_moves_its_saga_on(operated: Operated, api: SagaApi) -> None:
    run, system = _as_operator(operated), operated.system
    moving, held = random_ref("order"), random_ref("order")
    assert (await run("start", moving, "--wait", "30")).code == OK
    system.kill("shipping-service")
    try:
        saga_id = (await api.start({**_order(held)})).json()["sagaId"]
        await eventually(lambda: api.status(held), lambda s: s["status"] == "STOCK_RESERVED")
        stuck = await eventually(lambda: run("list", "--stuck", "1s"), lambda r: held in r.out)
        assert moving not in stuck.out, "a completed saga is not stuck"
        queue = command_queue("shipping", system.config.queue_prefix)
        message_id = await reject_command(system, queue, saga_id)
        letter_id = await eventually(lambda: letter_of(api, message_id), lambda found: found is not None)
    finally:
        await asyncio.to_thread(system.restart, "shipping-service")

    assert (await run("dead-letters", "--redrive", str(letter_id))).code == OK

    assert (await api.finished(held))["status"] == "COMPLETED"
    assert (await api.commands(held)).count("createShipment") == 1, "moved by the redrive, not a retry"


def _order(order_id: str) -> dict[str, object]:
    return {"orderId": order_id, "productId": "item-001", "quantity": 1, "amount": 100}
