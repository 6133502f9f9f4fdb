"""The engine at work: storing decisions, publishing commands, consuming replies, keeping time."""
