"""What the orchestrator and the services share: message contracts, broker and database plumbing."""
