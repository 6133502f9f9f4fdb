"""The saga orchestrator: a durable workflow engine with an HTTP API."""
