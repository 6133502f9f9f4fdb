"""The shipping service: creates a shipment for a saga, and cancels it when the saga compensates."""
