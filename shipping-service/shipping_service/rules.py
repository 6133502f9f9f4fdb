"""The shipping rule, apart from any I/O: how much one shipment may carry."""

MAX_SHIPMENT_SIZE = 10


def oversize_reason(quantity: int) -> str | None:
    """Why a shipment of `quantity` items is refused, or None if it fits."""
    if quantity <= MAX_SHIPMENT_SIZE:
        return None
    return f"quantity {quantity} exceeds shipment size {MAX_SHIPMENT_SIZE}"
