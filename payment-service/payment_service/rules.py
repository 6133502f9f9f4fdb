"""The payment rule, apart from any I/O: what a single charge may be."""

from decimal import Decimal

PAYMENT_LIMIT = 10000


def decline_reason(amount: Decimal) -> str | None:
    """Why a charge of `amount` is declined, or None if it may go through."""
    if amount <= PAYMENT_LIMIT:
        return None
    whole = amount.to_integral_value()
    shown = whole if amount == whole else amount
    return f"payment declined: amount {shown} exceeds the limit of {PAYMENT_LIMIT}"
