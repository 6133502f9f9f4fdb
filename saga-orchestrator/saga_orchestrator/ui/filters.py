"""The saga list's query string: every field optional, an empty one (a blank form field) left out."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from saga_orchestrator.persistence.saga_list import Cursor, Filters


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


def _utc(value: datetime | None) -> datetime | None:
    """A time typed into the form has no zone: it is read as UTC, the zone the pages show."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


Blank = BeforeValidator(_blank_is_none)
# Each constraint applies to a value given; a blank field is None before it is checked.
Status = Annotated[str, Field(pattern=r"^[A-Z][A-Z_]{0,63}$")]
Workflow = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
Seconds = Annotated[float, Field(gt=0, le=10 * 365 * 86400)]
After = Annotated[str, Field(pattern=r"^[0-9T:. +-]{10,40}_[0-9a-f-]{36}$")]
When = Annotated[datetime | None, Blank, AfterValidator(_utc)]


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Annotated[Status | None, Blank] = None
    phase: Annotated[Literal["FORWARD", "COMPENSATING", "PARKED", "DONE"] | None, Blank] = None
    stuck: Annotated[Seconds | None, Blank] = None
    since: When = None
    until: When = None
    workflow: Annotated[Workflow | None, Blank] = None
    key: Annotated[Annotated[str, Field(max_length=200)] | None, Blank] = None
    after: Annotated[After | None, Blank] = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50

    @property
    def filters(self) -> Filters:
        return Filters(
            status=self.status,
            phase=self.phase,
            stuck_seconds=self.stuck,
            since=self.since,
            until=self.until,
            workflow=self.workflow,
            key=self.key,
        )

    @property
    def cursor(self) -> Cursor | None:
        if self.after is None:
            return None
        at, _, saga_id = self.after.partition("_")
        return Cursor(datetime.fromisoformat(at), UUID(saga_id))

    def with_after(self, cursor: Cursor) -> dict[str, str]:
        """This query's fields, for the link to the page after `cursor`."""
        fields = {k: str(v) for k, v in self.model_dump(exclude={"after"}, exclude_none=True).items()}
        return fields | {"after": f"{cursor.created_at.isoformat()}_{cursor.saga_id}"}
