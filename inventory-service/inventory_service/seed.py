"""The stock a fresh inventory starts with, read from INVENTORY_SEED ("item-001=100,item-002=5")."""

import logging

import asyncpg

from shared.worker.runtime import Setup

log = logging.getLogger(__name__)

MAX_PRODUCT_ID_LENGTH = 64  # as the contracts' identifiers

# Products already there keep their stock: the seed fills a fresh database, it never resets one.
SEED = """
INSERT INTO products (product_id, stock)
SELECT * FROM unnest($1::text[], $2::integer[])
ON CONFLICT (product_id) DO NOTHING
"""


def parse_seed(seed: str) -> dict[str, int]:
    """Reads "id=qty,id=qty" into {id: qty}; blank entries are skipped, malformed ones raise."""
    stock: dict[str, int] = {}
    for entry in seed.split(","):
        if not entry.strip():
            continue
        product_id, quantity = _parse_entry(entry)
        if product_id in stock:
            raise ValueError(f"inventory seed names {product_id!r} twice")
        stock[product_id] = quantity
    return stock


def _parse_entry(entry: str) -> tuple[str, int]:
    product_id, separator, text = (part.strip() for part in entry.partition("="))
    if not separator or not product_id or len(product_id) > MAX_PRODUCT_ID_LENGTH:
        raise ValueError(f"inventory seed entry {entry.strip()!r} is not product=quantity")
    try:
        quantity = int(text)
    except ValueError:
        raise ValueError(f"inventory seed entry {entry.strip()!r} has no whole quantity") from None
    if quantity < 0:
        raise ValueError(f"inventory seed entry {entry.strip()!r} has a negative quantity")
    return product_id, quantity


def seeder(seed: str) -> Setup:
    """The worker's setup step; the seed is parsed now, so a bad one stops the process at once."""
    stock = parse_seed(seed)

    async def seed_products(pool: asyncpg.Pool) -> None:
        status = await pool.execute(SEED, list(stock), list(stock.values()))
        log.info("seeded %s new of %d products", status.rsplit(" ", 1)[-1], len(stock))

    return seed_products
