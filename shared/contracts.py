"""The messages that cross process boundaries: the command envelope, the reply, and each command's payload.

The envelope and the reply are all the orchestrator knows; the payloads are what each
service validates before it acts.
"""

from typing import Any
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Identifier = Field(min_length=1, max_length=64)
CORRELATION_MAX_LENGTH = 80


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
    # Which attempt of (saga, step) this is, signed by the orchestrator; opaque to the service,
    # which echoes it in the reply, so that a reply proves which command it answers.
    correlation_id: str = Field(min_length=1, max_length=CORRELATION_MAX_LENGTH)


class Reply(Contract):
    """What every service answers, in the seed's shape."""

    success: bool
    saga_id: UUID
    step_id: str
    result: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    correlation_id: str | None = Field(default=None, max_length=CORRELATION_MAX_LENGTH)  # the command's


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
