"""Commands arriving together share a transaction, yet each ends as if it had run alone."""

import asyncio
from uuid import UUID

import asyncpg
import pytest
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from shared import tracing
from shared.contracts import CommandMessage
from shared.worker.handlers import BoundHandler, Outcome
from shared.worker.inbox import Inbox
from tests.integration.harness import ServiceDatabase, command
from tests.integration.services import PAYMENT, ServiceSpec
from tests.polling import random_ref
from tests.spans import recorded

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return PAYMENT


async def _charge(db: ServiceDatabase) -> tuple[CommandMessage, BoundHandler]:
    payload = await PAYMENT.arrange(db.pool, random_ref("o"))
    handler = PAYMENT.handlers["processPayment"]
    return command("processPayment", payload), handler.bind(handler.payload.model_validate(payload))


async def _explodes(conn: asyncpg.Connection, saga_id: UUID) -> Outcome:
    await conn.execute(
        "INSERT INTO payments (saga_id, order_id, amount, status) VALUES ($1, 'x', 1, 'CHARGED')", saga_id
    )
    raise RuntimeError("handler bug")


async def test_a_batch_with_a_repeat_and_a_failing_handler_ends_as_if_each_ran_alone(
    db: ServiceDatabase,
) -> None:
    inbox = Inbox(db.pool)
    charges = [await _charge(db) for _ in range(6)]
    broken, _ = await _charge(db)
    repeated_message, repeated_handler = charges[0]

    replies = await asyncio.gather(
        *(inbox.execute(message, handler) for message, handler in charges),
        inbox.execute(repeated_message, repeated_handler),
        inbox.execute(broken, _explodes),
    )

    assert all(reply.success for reply in replies[:7])
    assert replies[6] == replies[0]  # the repeat got the first answer, and charged nothing more
    assert replies[7].success is False and replies[7].code == "internal_error"
    assert replies[7].error == "the service could not apply the command"  # the bug's text is logged
    for message, _ in charges:
        rows = await db.pool.fetchval("SELECT count(*) FROM payments WHERE saga_id = $1", message.saga_id)
        assert rows == 1
    assert await db.pool.fetchval("SELECT count(*) FROM payments WHERE saga_id = $1", broken.saga_id) == 0
    remembered = await db.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE message_id = ANY($1::uuid[])",
        [message.message_id for message, _ in charges] + [broken.message_id],
    )
    assert remembered == len(charges)  # a failure is not remembered, so a retry runs again


async def test_commands_arriving_together_share_transactions(db: ServiceDatabase) -> None:
    inbox = Inbox(db.pool)
    charges = [await _charge(db) for _ in range(20)]

    replies = await asyncio.gather(*(inbox.execute(m, h) for m, h in charges))

    assert all(reply.success for reply in replies)
    # A row's xmin is the transaction that wrote it: fewer of them than commands means shared ones.
    transactions = await db.pool.fetchval(
        "SELECT count(DISTINCT xmin::text) FROM payments WHERE saga_id = ANY($1::uuid[])",
        [message.saga_id for message, _ in charges],
    )
    assert transactions < len(charges)


async def test_commands_of_a_batch_each_show_the_transaction_in_their_own_trace(db: ServiceDatabase) -> None:
    inbox = Inbox(db.pool)
    charges = [await _charge(db) for _ in range(5)]

    with recorded() as exported:
        provider = tracing.provider()
        assert provider is not None
        tracer = provider.get_tracer("test")

        async def process(message: CommandMessage, handler: BoundHandler) -> int:
            with tracer.start_as_current_span(f"process {message.saga_id}") as span:
                await inbox.execute(message, handler)
                return span.get_span_context().span_id

        callers = await asyncio.gather(*(process(message, handler) for message, handler in charges))

    transactions = [span for span in exported.get_finished_spans() if span.kind == SpanKind.CLIENT]
    assert sorted(span.parent.span_id for span in transactions if span.parent) == sorted(callers)
    assert any(span.attributes and span.attributes.get("db.operation.batch.size") for span in transactions)


async def test_each_command_the_inbox_answered_before_is_counted_once_as_a_duplicate(
    db: ServiceDatabase,
) -> None:
    service = random_ref("svc")
    inbox = Inbox(db.pool, service)
    (first, first_handler), (second, second_handler) = [await _charge(db) for _ in range(2)]
    await inbox.execute(first, first_handler)

    await inbox.execute(first, first_handler)
    await asyncio.gather(inbox.execute(first, first_handler), inbox.execute(second, second_handler))

    assert REGISTRY.get_sample_value("saga_inbox_duplicates_total", {"service": service}) == 2
