"""The payment rule, apart from any I/O: what a single charge may be."""

PAYMENT_LIMIT = 10000


def decline_reason(amount: float) -> str | None:
    """Why a charge of `amount` is declined, or None if it may go through."""
    if amount <= PAYMENT_LIMIT:
        return None
    shown = str(int(amount)) if float(amount).is_integer() else str(amount)
    return f"payment declined: amount {shown} exceeds the limit of {PAYMENT_LIMIT}"
