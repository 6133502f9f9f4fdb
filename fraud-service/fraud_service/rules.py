"""The fraud rule, apart from any I/O: which payments are too large to clear without a review."""

from decimal import Decimal

REVIEW_LIMIT = 5000


def suspicion(amount: Decimal) -> str | None:
    """Why a payment of `amount` is not cleared, or None if it is."""
    if amount <= REVIEW_LIMIT:
        return None
    whole = amount.to_integral_value()
    shown = whole if amount == whole else amount
    return f"fraud suspected: amount {shown} is above the review limit of {REVIEW_LIMIT}"
