"""The messages that cross process boundaries: the command envelope, the reply, and each command's payload.

The envelope and the reply are all the orchestrator knows; the payloads are what each
service validates before it acts. The field types here are the rules every edge applies, the
HTTP API included.
"""

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid5

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from shared.tracing import TRACEPARENT_PATTERN

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
MAX_QUANTITY = 1_000_000
MAX_AMOUNT = Decimal(1_000_000_000)
CENTS = Decimal("0.01")

# Order and product ids, and the names in an envelope: printable, so they are safe in a URL, a
# log line, a queue header and a Postgres text column alike.
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
# Exact, in cents: written as a decimal string in JSON ("12.50"), never as a binary float.
Amount = Annotated[
    Decimal,
    Field(gt=0, le=MAX_AMOUNT, decimal_places=2, allow_inf_nan=False),
    AfterValidator(lambda amount: amount.quantize(CENTS)),
]
# What a failure reply says in a word, for programs; `error` says it for people.
ErrorCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


def storable(value: Any) -> Any:
    """Refuses text Postgres cannot store (NUL), anywhere in a JSON value; the value otherwise."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL (\\u0000)")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    elif isinstance(value, list):
        for item in value:
            storable(item)
    return value


CORRELATION_MAX_LENGTH = 80

# The W3C context of the span that sent the item, when tracing is on. Never dumped with the
# model: only the tracing code, which knows whether it is on, writes it into a body.
TraceParent = Annotated[str | None, Field(default=None, pattern=TRACEPARENT_PATTERN, exclude=True)]


class Contract(BaseModel):
    """A frozen, camelCase message body that rejects unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class CommandMessage(Contract):
    """What the orchestrator sends to a service's command queue."""

    message_id: UUID
    saga_id: UUID
    step_id: Identifier
    command: Identifier
    deadline: AwareDatetime  # a naive one cannot be compared with now(UTC)
    payload: dict[str, Any]
    # Which attempt of (saga, step) this is, signed by the orchestrator; opaque to the service,
    # which echoes it in the reply, so that a reply proves which command it answers.
    correlation_id: str = Field(min_length=1, max_length=CORRELATION_MAX_LENGTH)
    traceparent: TraceParent = None


class Reply(Contract):
    """What every service answers, in the seed's shape, with a `code` for a failure.

    Its result and error end up in the saga's history, so they must be storable there.
    """

    success: bool
    saga_id: UUID
    step_id: Identifier
    result: Annotated[dict[str, Any], AfterValidator(storable)] = Field(default_factory=dict)
    error: Annotated[str | None, AfterValidator(storable)] = None
    code: ErrorCode | None = None
    correlation_id: str | None = Field(default=None, max_length=CORRELATION_MAX_LENGTH)  # the command's
    traceparent: TraceParent = None


def command_message_id(saga_id: UUID, step_id: str) -> UUID:
    """One id per (saga, step): a retried command is the same message, so inboxes dedupe it."""
    return uuid5(saga_id, step_id)


class OrderPayload(Contract):
    order_id: Identifier
    product_id: Identifier
    quantity: Quantity
    amount: Amount


class CreateOrder(OrderPayload):
    pass


class CancelOrder(OrderPayload):
    pass


class PaymentPayload(Contract):
    order_id: Identifier
    amount: Amount


class ProcessPayment(PaymentPayload):
    pass


class CancelPayment(PaymentPayload):
    # The payment to refund, where the workflow carries processPayment's answer: a saga whose
    # payment has another id is not refunded. Absent when that command was never answered.
    payment_id: Identifier | None = None


class OrderLinePayload(Contract):
    """What the stock and the shipment of an order line need."""

    order_id: Identifier
    product_id: Identifier
    quantity: Quantity


class ReserveStock(OrderLinePayload):
    pass


class ReleaseStock(OrderLinePayload):
    pass


class CreateShipment(OrderLinePayload):
    payment_id: Identifier | None = None  # the payment the shipment goes out against, where carried


class CancelShipment(OrderLinePayload):
    pass


class AssessFraud(PaymentPayload):
    """A check of the saga's payment before anything ships."""

    payment_id: Identifier


class WithdrawAssessment(PaymentPayload):
    payment_id: Identifier | None = None  # absent when the payment's step was never answered


class SendNotification(Contract):
    """Tells the customer that the order has shipped."""

    order_id: Identifier
    shipment_id: Identifier
