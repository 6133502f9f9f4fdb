"""The four services as the shared tests see them: their commands, statuses and business state."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from inventory_service.handlers import HANDLERS as INVENTORY_HANDLERS
from inventory_service.seed import seeder
from inventory_service.settings import Settings as InventorySettings
from order_service.handlers import HANDLERS as ORDER_HANDLERS
from order_service.settings import Settings as OrderSettings
from payment_service.handlers import HANDLERS as PAYMENT_HANDLERS
from payment_service.settings import Settings as PaymentSettings
from shared.settings import ProcessSettings
from shared.worker.handlers import Handler
from shared.worker.runtime import Setup
from shipping_service.handlers import HANDLERS as SHIPPING_HANDLERS
from shipping_service.settings import Settings as ShippingSettings

# {"rows": the saga's rows in the service's table, "stock": the product's stock where it has one}
State = dict[str, Any]


@dataclass(frozen=True)
class ServiceSpec:
    service: str
    package: str
    handlers: Mapping[str, Handler[Any]]
    settings_type: type[ProcessSettings]
    forward: str
    compensation: str
    done: str  # the status the forward command leaves
    undone: str  # the status its compensation turns that into
    marker: str  # the status a compensation leaves when it comes first
    refusal: str  # what the forward command answers once the marker is there
    result_keys: frozenset[str]
    table: str
    arrange: Callable[[asyncpg.Pool, str], Awaitable[dict[str, Any]]]
    setup: Callable[[Any], Setup | None] = lambda settings: None
    tracks_stock: bool = False  # the state includes the stock of the payload's product

    async def state(self, pool: asyncpg.Pool, saga_id: UUID, payload: dict[str, Any]) -> State:
        rows = await pool.fetch(f"SELECT * FROM {self.table} WHERE saga_id = $1", saga_id)
        state: State = {"rows": [dict(row) for row in rows]}
        if self.tracks_stock:
            sql = "SELECT stock FROM products WHERE product_id = $1"
            state["stock"] = await pool.fetchval(sql, payload["productId"])
        return state


async def order_payload(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "productId": "item-001", "quantity": 2, "amount": 49.9}


async def payment_payload(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "amount": 49.9}


async def stock_payload(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    """Each test gets a product of its own, so no test depends on another's stock."""
    await add_product(pool, f"{ref}-p", 10)
    return {"orderId": ref, "productId": f"{ref}-p", "quantity": 3}


async def shipment_payload(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "productId": "item-001", "quantity": 2}


async def add_product(pool: asyncpg.Pool, product_id: str, stock: int) -> None:
    await pool.execute("INSERT INTO products (product_id, stock) VALUES ($1, $2)", product_id, stock)


ORDER = ServiceSpec(
    service="order",
    package="order_service",
    handlers=ORDER_HANDLERS,
    settings_type=OrderSettings,
    forward="createOrder",
    compensation="cancelOrder",
    done="CREATED",
    undone="CANCELLED",
    marker="CANCELLED",
    refusal="order already cancelled",
    result_keys=frozenset({"orderId", "status"}),
    table="orders",
    arrange=order_payload,
)

PAYMENT = ServiceSpec(
    service="payment",
    package="payment_service",
    handlers=PAYMENT_HANDLERS,
    settings_type=PaymentSettings,
    forward="processPayment",
    compensation="cancelPayment",
    done="CHARGED",
    undone="REFUNDED",
    marker="VOIDED",
    refusal="payment already cancelled",
    result_keys=frozenset({"paymentId", "status"}),
    table="payments",
    arrange=payment_payload,
)

INVENTORY = ServiceSpec(
    service="inventory",
    package="inventory_service",
    handlers=INVENTORY_HANDLERS,
    settings_type=InventorySettings,
    forward="reserveStock",
    compensation="releaseStock",
    done="RESERVED",
    undone="RELEASED",
    marker="VOIDED",
    refusal="reservation already released",
    result_keys=frozenset({"productId", "quantity", "status"}),
    table="reservations",
    arrange=stock_payload,
    setup=lambda settings: seeder(settings.inventory_seed),
    tracks_stock=True,
)

SHIPPING = ServiceSpec(
    service="shipping",
    package="shipping_service",
    handlers=SHIPPING_HANDLERS,
    settings_type=ShippingSettings,
    forward="createShipment",
    compensation="cancelShipment",
    done="CREATED",
    undone="CANCELLED",
    marker="VOIDED",
    refusal="shipment already cancelled",
    result_keys=frozenset({"shipmentId", "status"}),
    table="shipments",
    arrange=shipment_payload,
)

SERVICES = [ORDER, PAYMENT, INVENTORY, SHIPPING]
