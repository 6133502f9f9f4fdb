"""The inventory service: reserves stock for a saga, and releases it when the saga compensates."""
