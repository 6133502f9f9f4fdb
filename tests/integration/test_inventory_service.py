"""The inventory service's own rules, beyond what every participant guarantees: stock and its seed."""

import asyncio
from uuid import uuid4

import pytest

from tests.integration.harness import Participant, ServiceDatabase, apply_directly, command
from tests.integration.services import INVENTORY, ServiceSpec, add_product
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return INVENTORY


async def stock_of(db: ServiceDatabase, product_id: str) -> int | None:
    stock: int | None = await db.pool.fetchval("SELECT stock FROM products WHERE product_id = $1", product_id)
    return stock


async def test_reserving_the_last_units_empties_the_stock_and_releasing_puts_them_back(
    participant: Participant, db: ServiceDatabase
) -> None:
    payload = {**await participant.arrange(random_ref("o")), "quantity": 10}
    saga_id = uuid4()

    reserved = await participant.call(command("reserveStock", payload, saga_id=saga_id))
    emptied = await stock_of(db, payload["productId"])
    released = await participant.call(command("releaseStock", payload, saga_id=saga_id))

    assert reserved["result"] == {"productId": payload["productId"], "quantity": 10, "status": "RESERVED"}
    assert emptied == 0
    assert released["result"] == {"productId": payload["productId"], "quantity": 10, "status": "RELEASED"}
    assert await stock_of(db, payload["productId"]) == 10


@pytest.mark.parametrize(
    ("product", "error"),
    [("short", "insufficient stock"), ("unknown", "unknown product {product_id}")],
)
async def test_a_reservation_that_cannot_be_met_is_refused_and_changes_nothing(
    participant: Participant, db: ServiceDatabase, product: str, error: str
) -> None:
    payload = {**await participant.arrange(random_ref("o")), "quantity": 11}
    if product == "unknown":
        payload["productId"] = random_ref("nowhere")
    saga_id = uuid4()
    before = await participant.state(saga_id, payload)

    refused = await participant.call(command("reserveStock", payload, saga_id=saga_id))
    after_refusal = await participant.state(saga_id, payload)
    compensated = await participant.call(command("releaseStock", payload, saga_id=saga_id))

    assert (refused["success"], refused["error"]) == (False, error.format(product_id=payload["productId"]))
    assert after_refusal == before
    # The saga compensates the refused step too: that leaves a marker and gives back no stock.
    assert compensated["result"]["status"] == "VOIDED"
    assert (await participant.state(saga_id, payload))["stock"] == before["stock"]


async def test_concurrent_reservations_never_oversell(db: ServiceDatabase) -> None:
    product_id = random_ref("scarce")
    await add_product(db.pool, product_id, 5)
    payload = {"orderId": "o", "productId": product_id, "quantity": 2}

    outcomes = await asyncio.gather(
        *(apply_directly(db.pool, INVENTORY, "reserveStock", uuid4(), payload) for _ in range(6))
    )

    assert sorted(outcome.error or "ok" for outcome in outcomes) == ["insufficient stock"] * 4 + ["ok"] * 2
    assert await stock_of(db, product_id) == 1


async def test_a_refused_reservation_racing_its_release_leaves_only_the_marker(db: ServiceDatabase) -> None:
    product_id = random_ref("empty")
    await add_product(db.pool, product_id, 0)
    payload = {"orderId": "o", "productId": product_id, "quantity": 1}
    for _ in range(20):
        saga_id = uuid4()
        reserve, release = await asyncio.gather(
            apply_directly(db.pool, INVENTORY, "reserveStock", saga_id, payload),
            apply_directly(db.pool, INVENTORY, "releaseStock", saga_id, payload),
        )
        assert reserve.error in {"insufficient stock", "reservation already released"}
        assert release.result["status"] == "VOIDED"
        assert await stock_of(db, product_id) == 0


async def test_the_seed_fills_a_fresh_inventory_once_and_never_resets_stock(
    participant: Participant, db: ServiceDatabase
) -> None:
    ref = random_ref("seed")
    await participant.worker.restart(inventory_seed=f"{ref}-a=7,{ref}-b=0")
    seeded = {product: await stock_of(db, f"{ref}-{product}") for product in "ab"}
    payload = {"orderId": ref, "productId": f"{ref}-a", "quantity": 3}
    await participant.call(command("reserveStock", payload))

    await participant.worker.restart(inventory_seed=f"{ref}-a=7,{ref}-b=0,{ref}-c=2")

    assert seeded == {"a": 7, "b": 0}
    kept = {product: await stock_of(db, f"{ref}-{product}") for product in "abc"}
    assert kept == {"a": 4, "b": 0, "c": 2}
    count = await db.pool.fetchval("SELECT count(*) FROM products WHERE product_id LIKE $1", f"{ref}-%")
    assert count == 3
