"""The messages that cross process boundaries: the command envelope, the reply, and each command's payload.

The envelope and the reply are all the orchestrator knows; the payloads are what each
service validates before it acts.
"""

from typing import Any
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared import json

Identifier = Field(min_length=1, max_length=64)


class Contract(BaseModel):
    """A frozen, camelCase message body that rejects unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class CommandMessage(Contract):
    """What the orchestrator sends to a service's command queue."""

    message_id: UUID
    saga_id: UUID
    step_id: str = Field(min_length=1)
    command: str = Field(min_length=1)
    deadline: AwareDatetime  # a naive one cannot be compared with now(UTC)
    payload: dict[str, Any]


class Reply(Contract):
    """What every service answers, in the seed's shape."""

    success: bool
    saga_id: UUID
    step_id: str
    result: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


def message_body(items: list[dict[str, Any]]) -> bytes:
    """What a message carries: its one command or reply, or a list of those sent together."""
    return json.dumps(items[0] if len(items) == 1 else items)


def items_in(body: bytes) -> list[Any]:
    """The commands or replies a message carries, unchecked; ValueError if it is not JSON, or an
    empty list."""
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"Invalid JSON: {exc}") from exc
    if parsed == []:
        raise ValueError("an empty list: no command or reply in it")
    return parsed if isinstance(parsed, list) else [parsed]


def replies_in(body: bytes) -> list[Reply]:
    """The replies a reply message carries; ValueError if any of them is not a reply."""
    return [Reply.model_validate(item) for item in items_in(body)]


def command_message_id(saga_id: UUID, step_id: str) -> UUID:
    """One id per (saga, step): a retried command is the same message, so inboxes dedupe it."""
    return uuid5(saga_id, step_id)


class OrderPayload(Contract):
    order_id: str = Identifier
    product_id: str = Identifier
    quantity: int = Field(ge=1)
    amount: float = Field(gt=0, allow_inf_nan=False)


class CreateOrder(OrderPayload):
    pass


class CancelOrder(OrderPayload):
    pass


class PaymentPayload(Contract):
    order_id: str = Identifier
    amount: float = Field(gt=0, allow_inf_nan=False)


class ProcessPayment(PaymentPayload):
    pass


class CancelPayment(PaymentPayload):
    pass


class OrderLinePayload(Contract):
    """What the stock and the shipment of an order line need."""

    order_id: str = Identifier
    product_id: str = Identifier
    quantity: int = Field(ge=1)


class ReserveStock(OrderLinePayload):
    pass


class ReleaseStock(OrderLinePayload):
    pass


class CreateShipment(OrderLinePayload):
    pass


class CancelShipment(OrderLinePayload):
    pass
