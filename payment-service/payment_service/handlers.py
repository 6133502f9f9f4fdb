"""The payment service's commands: charge the saga's order, and refund it as its compensation."""

from typing import Any
from uuid import UUID

import asyncpg

from payment_service.rules import decline_reason
from shared.contracts import CancelPayment, ProcessPayment
from shared.worker import Handler, Outcome, done, refused

CHARGED = "CHARGED"

CHARGE = """
INSERT INTO payments (saga_id, order_id, amount, status) VALUES ($1, $2, $3, 'CHARGED')
ON CONFLICT (saga_id) DO NOTHING
RETURNING payment_id, status
"""

# One statement either way: refund this saga's charge, or, with no payment yet, leave the
# VOIDED marker. A payment already refunded or voided is left alone and nothing is returned.
CANCEL = """
INSERT INTO payments (saga_id, order_id, amount, status) VALUES ($1, $2, $3, 'VOIDED')
ON CONFLICT (saga_id) DO UPDATE SET status = 'REFUNDED', updated_at = now()
    WHERE payments.status = 'CHARGED'
RETURNING payment_id, status
"""

CURRENT = "SELECT payment_id, status FROM payments WHERE saga_id = $1"


async def process_payment(conn: asyncpg.Connection, saga_id: UUID, command: ProcessPayment) -> Outcome:
    declined = decline_reason(command.amount)
    if declined is not None:
        return refused("payment_declined", declined)
    row = await conn.fetchrow(CHARGE, saga_id, command.order_id, command.amount)
    if row is None:
        # This saga has a payment already: its own charge, or the marker of a cancel.
        row = await conn.fetchrow(CURRENT, saga_id)
        if row["status"] != CHARGED:
            return refused("already_compensated", "payment already cancelled")
    return done(paymentId=str(row["payment_id"]), status=CHARGED)


async def cancel_payment(conn: asyncpg.Connection, saga_id: UUID, command: CancelPayment) -> Outcome:
    row = await conn.fetchrow(CANCEL, saga_id, command.order_id, command.amount)
    if row is None:
        row = await conn.fetchrow(CURRENT, saga_id)
    return done(paymentId=str(row["payment_id"]), status=row["status"])


HANDLERS: dict[str, Handler[Any]] = {
    "processPayment": Handler(ProcessPayment, process_payment),
    "cancelPayment": Handler(CancelPayment, cancel_payment),
}
