"""The notification service: tells the customer that a saga's order has shipped, once."""
