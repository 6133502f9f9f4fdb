"""The runtime every saga participant shares: consume a command, apply it exactly once, reply."""

from shared.worker.handlers import CommandHandler, Handler, Outcome, done, refused
from shared.worker.runtime import run_worker

__all__ = ["CommandHandler", "Handler", "Outcome", "done", "refused", "run_worker"]
