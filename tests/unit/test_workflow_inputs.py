"""The order workflow's input, as its file declares it, follows exactly the rules of the seed's
`/saga/start`: both are made of the same named types."""

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from saga_orchestrator.api.schemas import StartSaga
from saga_orchestrator.workflows import BUNDLED
from saga_orchestrator.workflows.loader import load

pytestmark = pytest.mark.unit

VALID = {"orderId": "o-1", "productId": "item-001", "quantity": 2, "amount": Decimal("12.50")}
BODIES: list[dict[str, Any]] = [
    VALID,
    {**VALID, "quantity": 2.0},
    {**VALID, "amount": 7},
    {**VALID, "quantity": "2"},
    {**VALID, "quantity": True},
    {**VALID, "quantity": 0},
    {**VALID, "quantity": 1_000_001},
    {**VALID, "amount": "12.50"},
    {**VALID, "amount": Decimal("0.001")},
    {**VALID, "amount": Decimal(-1)},
    {**VALID, "amount": Decimal("1e999")},
    {**VALID, "orderId": "has space"},
    {**VALID, "orderId": ""},
    {**VALID, "colour": "red"},
    {k: v for k, v in VALID.items() if k != "amount"},
]


def _outcome(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body).model_dump(mode="json", by_alias=True)
    except ValidationError as exc:
        return sorted((e["loc"], e["type"]) for e in exc.errors())


ORDER_INPUT = load(BUNDLED)["order"].input_model


@pytest.mark.parametrize("body", BODIES)
def test_the_order_files_input_is_checked_as_the_seeds_start_request(body: dict[str, Any]) -> None:
    assert _outcome(ORDER_INPUT, body) == _outcome(StartSaga, body)


def test_both_describe_the_same_fields_to_clients() -> None:
    def without_examples(schema: dict[str, Any]) -> dict[str, Any]:
        return {
            name: {k: v for k, v in rule.items() if k not in {"examples", "title"}}
            for name, rule in schema.items()
        }

    ours = ORDER_INPUT.model_json_schema()
    seeds = StartSaga.model_json_schema(by_alias=True)

    assert without_examples(ours["properties"]) == without_examples(seeds["properties"])
    assert sorted(ours["required"]) == sorted(seeds["required"])
