"""The inventory seed, from its INVENTORY_SEED text to the stock per product."""

import pytest

from inventory_service.seed import parse_seed

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("seed", "stock"),
    [
        ("item-001=100,item-002=5,item-003=0", {"item-001": 100, "item-002": 5, "item-003": 0}),
        (" item-001 = 7 , item-002=1 ", {"item-001": 7, "item-002": 1}),
        ("item-001=3,", {"item-001": 3}),
        ("", {}),
        (" , ", {}),
    ],
)
def test_a_seed_reads_as_stock_per_product(seed: str, stock: dict[str, int]) -> None:
    assert parse_seed(seed) == stock


@pytest.mark.parametrize(
    ("seed", "complaint"),
    [
        ("item-001", "is not product=quantity"),
        ("=5", "is not product=quantity"),
        (f"{'x' * 65}=1", "is not product=quantity"),
        ("item-001=", "has no whole quantity"),
        ("item-001=many", "has no whole quantity"),
        ("item-001=1.5", "has no whole quantity"),
        ("item-001=1=2", "has no whole quantity"),
        ("item-001=-1", "has a negative quantity"),
        ("item-001=1,item-001=2", "names 'item-001' twice"),
    ],
)
def test_a_malformed_seed_is_refused_with_the_reason(seed: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_seed(seed)
