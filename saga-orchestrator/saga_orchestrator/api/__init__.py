"""The HTTP API: start, inspect, cancel and resume order sagas."""
