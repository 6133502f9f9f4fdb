"""The order service: creates an order for a saga, and cancels it when the saga compensates."""
