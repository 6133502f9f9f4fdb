"""The payment service: charges a saga's order, and refunds it when the saga compensates."""
