"""The fraud service's commands: assess the saga's payment, and withdraw the assessment as its
compensation."""

from typing import Any
from uuid import UUID

import asyncpg

from fraud_service.rules import suspicion
from shared.contracts import AssessFraud, WithdrawAssessment
from shared.worker import Handler, Outcome, done, refused

CLEARED = "CLEARED"
CLEAR = "CLEAR"  # the verdict of a cleared assessment; a suspicious one is refused, and kept nowhere

ASSESS = """
INSERT INTO assessments (saga_id, order_id, payment_id, amount, status) VALUES ($1, $2, $3, $4, 'CLEARED')
ON CONFLICT (saga_id) DO NOTHING
RETURNING assessment_id, status
"""

# One statement either way: withdraw this saga's assessment, or, with none yet, leave the VOIDED
# marker. An assessment already withdrawn or voided is left alone and nothing is returned.
WITHDRAW = """
INSERT INTO assessments (saga_id, order_id, payment_id, amount, status) VALUES ($1, $2, $3, $4, 'VOIDED')
ON CONFLICT (saga_id) DO UPDATE SET status = 'WITHDRAWN', updated_at = now()
    WHERE assessments.status = 'CLEARED'
RETURNING assessment_id, status
"""

CURRENT = "SELECT assessment_id, status FROM assessments WHERE saga_id = $1"


async def assess_fraud(conn: asyncpg.Connection, saga_id: UUID, command: AssessFraud) -> Outcome:
    suspected = suspicion(command.amount)
    if suspected is not None:
        return refused("fraud_suspected", suspected)
    row = await conn.fetchrow(ASSESS, saga_id, command.order_id, command.payment_id, command.amount)
    if row is None:
        # This saga has an assessment already: its own, or the marker of a withdrawal.
        row = await conn.fetchrow(CURRENT, saga_id)
        if row["status"] != CLEARED:
            return refused("already_compensated", "assessment already withdrawn")
    return done(assessmentId=str(row["assessment_id"]), verdict=CLEAR, status=CLEARED)


async def withdraw_assessment(
    conn: asyncpg.Connection, saga_id: UUID, command: WithdrawAssessment
) -> Outcome:
    row = await conn.fetchrow(WITHDRAW, saga_id, command.order_id, command.payment_id, command.amount)
    if row is None:
        row = await conn.fetchrow(CURRENT, saga_id)
    return done(assessmentId=str(row["assessment_id"]), status=row["status"])


HANDLERS: dict[str, Handler[Any]] = {
    "assessFraud": Handler(AssessFraud, assess_fraud),
    "withdrawAssessment": Handler(WithdrawAssessment, withdraw_assessment),
}
