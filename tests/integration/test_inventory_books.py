"""The inventory's own check of its books after a run: the stock each seeded product lost must be
what its reservations hold and what the completed sagas took."""

from uuid import uuid4

import pytest

from inventory_service.books import BOOKS
from tests.integration.harness import ServiceDatabase
from tests.integration.services import INVENTORY, ServiceSpec, add_product
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return INVENTORY


async def _reserve(db: ServiceDatabase, product: str, quantity: int, status: str = "RESERVED") -> None:
    await db.pool.execute(
        "INSERT INTO reservations (saga_id, product_id, quantity, status) VALUES ($1, $2, $3, $4)",
        uuid4(),
        product,
        quantity,
        status,
    )


@pytest.mark.parametrize(
    ("stock", "sold", "double_effects", "imbalances"),
    [
        (7, 3, 0, 0),  # what it lost is held and sold
        (4, 3, 1, 1),  # it lost 6: a reservation applied twice
        (7, 0, 0, 1),  # held, but no completed saga took it
    ],
)
async def test_the_stock_lost_must_be_held_by_reservations_and_taken_by_completed_sagas(
    db: ServiceDatabase, stock: int, sold: int, double_effects: int, imbalances: int
) -> None:
    product = random_ref("p")
    await add_product(db.pool, product, stock)
    await _reserve(db, product, 3)
    await _reserve(db, product, 2, status="RELEASED")  # given back: holds nothing
    completed = [{"productId": product, "quantity": sold}] if sold else []
    assert BOOKS.check is not None

    async with db.pool.acquire() as conn:
        found = await BOOKS.check(conn, completed, {product: 10})

    assert found.taken == {product: 10 - stock}
    assert (len(found.double_effects), len(found.imbalances)) == (double_effects, imbalances)
