"""A command's correlation id: its (saga, step, attempt), signed with a secret the orchestrator
replicas share. A reply echoes it, and so proves that it answers a command an orchestrator sent:
a service cannot make one up for a saga or step it was never sent, and checking costs no read."""

import hashlib
import hmac
from uuid import UUID

MIN_SECRET_LENGTH = 16
MAC_HEX_DIGITS = 32  # 128 bits


class Correlation:
    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"CORRELATION_SECRET must be set, at least {MIN_SECRET_LENGTH} characters,"
                " and the same for every orchestrator replica"
            )
        self._key = secret.encode()

    def sign(self, saga_id: UUID, step_id: str, attempt: int) -> str:
        return f"{attempt}.{self._mac(saga_id, step_id, attempt)}"

    def verifies(self, saga_id: UUID, step_id: str, correlation_id: str | None) -> bool:
        attempt, _, mac = (correlation_id or "").partition(".")
        if not (attempt.isascii() and attempt.isdigit()):
            return False
        return hmac.compare_digest(mac, self._mac(saga_id, step_id, int(attempt)))

    def _mac(self, saga_id: UUID, step_id: str, attempt: int) -> str:
        # The step last: the uuid and the number before it have fixed forms, so no two inputs collide.
        signed = f"{saga_id}/{attempt}/{step_id}".encode()
        return hmac.new(self._key, signed, hashlib.sha256).hexdigest()[:MAC_HEX_DIGITS]
