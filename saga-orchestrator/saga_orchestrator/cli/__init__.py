"""`saga`, the operators' command line: the orchestrator's HTTP API from a terminal."""
