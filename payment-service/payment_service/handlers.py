"""The payment service's commands: charge the saga's order, and refund it as its compensation."""

from typing import Any
from uuid import UUID

import asyncpg

from payment_service.rules import decline_reason
from shared.contracts import CancelPayment, ProcessPayment
from shared.worker import Handler, Outcome, done, refused

CHARGED = "CHARGED"
VOIDED = "VOIDED"

CHARGE = """
INSERT INTO payments (saga_id, order_id, amount, status) VALUES ($1, $2, $3, 'CHARGED')
ON CONFLICT (saga_id) DO NOTHING
RETURNING payment_id, status
"""

# One statement either way: refund this saga's charge, or, with no payment yet, leave the
# VOIDED marker. A payment already refunded or voided, or not the one named ($4, where given), is
# left alone and nothing is returned.
CANCEL = """
INSERT INTO payments (saga_id, order_id, amount, status) VALUES ($1, $2, $3, 'VOIDED')
ON CONFLICT (saga_id) DO UPDATE SET status = 'REFUNDED', updated_at = now()
    WHERE payments.status = 'CHARGED' AND ($4::text IS NULL OR payments.payment_id::text = $4)
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
    row = await conn.fetchrow(CANCEL, saga_id, command.order_id, command.amount, command.payment_id)
    if row is None:
        row = await conn.fetchrow(CURRENT, saga_id)
    # A marker is no payment: whatever id the command names, there is nothing of it to refund.
    payment_id = str(row["payment_id"])
    if command.payment_id not in (None, payment_id) and row["status"] != VOIDED:
        return refused("payment_mismatch", f"payment {command.payment_id} is not this saga's payment")
    return done(paymentId=payment_id, status=row["status"])


HANDLERS: dict[str, Handler[Any]] = {
    "processPayment": Handler(ProcessPayment, process_payment),
    "cancelPayment": Handler(CancelPayment, cancel_payment),
}
