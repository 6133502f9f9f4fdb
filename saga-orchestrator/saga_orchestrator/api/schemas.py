"""Request and response bodies of the HTTP API, in camelCase."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class StartSaga(Body):
    """An order to run through the saga; strict, so a quantity of "2" is refused, not coerced."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, strict=True, extra="forbid"
    )

    order_id: str = Field(min_length=1, max_length=64, examples=["order-123"])
    product_id: str = Field(min_length=1, max_length=64, examples=["item-001"])
    quantity: int = Field(ge=1, examples=[2])
    amount: float = Field(gt=0, allow_inf_nan=False, examples=[1000])


class SagaStarted(Body):
    saga_id: UUID
    order_id: str
    status: str


class SagaStatus(Body):
    saga_id: UUID
    order_id: str
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


class SagaHistory(Body):
    saga_id: UUID
    order_id: str
    events: list[HistoryEvent]


class SagaList(Body):
    sagas: list[SagaStatus]


class Problem(Body):
    detail: str
