"""Request and response bodies of the HTTP API, in camelCase."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from saga_orchestrator.workflows.inputs import AmountInput, QuantityInput
from shared.contracts import IDENTIFIER_PATTERN, Identifier

# A start is a few hundred bytes; a body this large is a mistake or an attack.
MAX_BODY_BYTES = 64 * 1024


OrderId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="the order's id")]
StatusFilter = Annotated[
    str | None, Query(alias="status", pattern=r"^[A-Z][A-Z_]{0,63}$", description="only sagas in this state")
]

WorkflowFilter = Annotated[
    str | None, Query(pattern=r"^[a-z][a-z0-9_-]{0,63}$", description="only sagas of this workflow")
]
StuckFilter = Annotated[
    float | None,
    Query(gt=0, le=10 * 365 * 86400, description="only running sagas not moved on for this many seconds"),
]


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class StartSaga(Body):
    """An order to run through the saga; strict, so a quantity of "2" is refused, not coerced."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, strict=True, extra="forbid"
    )

    order_id: Identifier = Field(examples=["order-123"])
    product_id: Identifier = Field(examples=["item-001"])
    quantity: QuantityInput
    amount: AmountInput


class SagaStarted(Body):
    saga_id: UUID
    order_id: str
    status: str


class SagaState(Body):
    """What a saga is doing, whichever its workflow."""

    saga_id: UUID
    status: str
    phase: Literal["FORWARD", "COMPENSATING", "PARKED", "DONE"]
    current_step: str | None = Field(description="the step whose command is out, while running")
    attempt: int = Field(description="attempts of the current step's command so far")
    last_error: str | None = Field(description="error of the latest failed attempt")
    failed_step: str | None = None
    error: str | None = None
    input: dict[str, Any]
    owner: str | None = Field(description="the API key's name that started it")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


class SagaStatus(SagaState):
    order_id: str


class HistoryEvent(Body):
    seq: int
    at: datetime
    type: str
    state: str | None = None
    step: str | None = None
    service: str | None = None
    command: str | None = None
    attempt: int | None = None
    success: bool | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    actor: str | None = Field(default=None, description="who asked for a cancel or a retry")
    replica: str | None = Field(
        default=None, description="the orchestrator replica that handled it (none on older events)"
    )


class SagaHistory(Body):
    saga_id: UUID
    order_id: str
    events: list[HistoryEvent]


class SagaList(Body):
    sagas: list[SagaStatus]


class Problem(Body):
    detail: str
