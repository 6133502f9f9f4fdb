"""The dashboard's session: a signed cookie naming the operator, with the CSRF token its forms carry.

The cookie holds no key: it holds the caller's name, an expiry and a random CSRF token, signed with
a key derived from the correlation secret (the same on every replica, so any replica reads it). The
name is looked up in the configured keys on every request, so removing a key ends its sessions.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from saga_orchestrator.api.keys import ANONYMOUS, ApiKeys, Caller, Role

COOKIE = "saga_session"
LIFETIME_SECONDS = 8 * 3600
_PURPOSE = b"saga dashboard session\0"


@dataclass(frozen=True)
class Session:
    caller: Caller
    csrf: str


class Sessions:
    """Makes and reads session cookies; with no keys configured, everyone is the anonymous operator."""

    def __init__(self, secret: str, keys: ApiKeys) -> None:
        # Without a secret (the orchestrator refuses to start then) no cookie outlives the process.
        secret = secret or secrets.token_hex(32)
        self._key = hashlib.sha256(_PURPOSE + secret.encode()).digest()
        self._keys = keys

    @property
    def open(self) -> bool:
        """Whether authentication is off (no keys: loopback only), so no login is asked for."""
        return not self._keys

    def login(self, key: str) -> Caller | None:
        """The operator this key names; None for an unknown key or one of another role."""
        caller = self._keys.find(key)
        return caller if caller is not None and caller.role is Role.OPERATOR else None

    def begin(self, caller: Caller, now: float | None = None) -> tuple[Session, str]:
        """A new session for `caller`, and its cookie's value."""
        csrf = secrets.token_urlsafe(24)
        expires = int((now or time.time()) + LIFETIME_SECONDS)
        body = _encode(json.dumps({"name": caller.name, "exp": expires, "csrf": csrf}).encode())
        return Session(caller, csrf), f"{body}.{self._sign(body)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session this cookie carries, if it is ours, unexpired and its operator still configured."""
        body, _, signature = (cookie or "").partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            claims = json.loads(_decode(body))
            name, expires, csrf = str(claims["name"]), int(claims["exp"]), str(claims["csrf"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires < (now or time.time()):
            return None
        caller = ANONYMOUS if self.open and name == ANONYMOUS.name else self._keys.named(name)
        if caller is None or caller.role is not Role.OPERATOR:
            return None
        return Session(caller, csrf)

    def _sign(self, body: str) -> str:
        return _encode(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
