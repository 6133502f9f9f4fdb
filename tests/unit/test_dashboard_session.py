"""The dashboard's session cookie: only an operator's key opens one, it carries no key, and one
altered, expired, signed with another secret or of a key since removed opens nothing."""

import base64
import json

import pytest

from saga_orchestrator.api.keys import ANONYMOUS, ApiKeys, Role
from saga_orchestrator.ui.session import LIFETIME_SECONDS, Sessions

pytestmark = pytest.mark.unit

SECRET = "s" * 40
OPERATOR_KEY, CLIENT_KEY = "operator-key-0123456789", "client-key-0123456789"
KEYS = ApiKeys.parse([("1", f"ops:operator:{OPERATOR_KEY}"), ("2", f"shop:client:{CLIENT_KEY}")])
NOW = 1_800_000_000.0


def _logged_in(sessions: Sessions) -> str:
    caller = sessions.login(OPERATOR_KEY)
    assert caller is not None and caller.role is Role.OPERATOR
    return sessions.begin(caller, NOW)[1]


def test_only_an_operators_key_logs_in() -> None:
    sessions = Sessions(SECRET, KEYS)
    assert sessions.login(CLIENT_KEY) is None
    assert sessions.login("not-a-key-of-this-system") is None
    assert sessions.login(OPERATOR_KEY) is not None


def test_a_session_names_its_operator_and_carries_no_key() -> None:
    sessions = Sessions(SECRET, KEYS)
    cookie = _logged_in(sessions)
    session = sessions.read(cookie, NOW + 1)
    assert session is not None and session.caller.name == "ops" and len(session.csrf) >= 24
    assert OPERATOR_KEY not in cookie and OPERATOR_KEY not in base64.urlsafe_b64decode(cookie + "==").decode(
        errors="replace"
    )


def test_an_altered_cookie_opens_nothing() -> None:
    sessions = Sessions(SECRET, KEYS)
    body, signature = _logged_in(sessions).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "name": "shop"}).encode()).decode().rstrip("=")
    assert sessions.read(f"{forged}.{signature}", NOW) is None
    assert sessions.read(body, NOW) is None
    assert sessions.read("", NOW) is None
    assert sessions.read(None, NOW) is None


def test_a_cookie_expires_and_is_read_only_with_its_secret_and_its_key() -> None:
    cookie = _logged_in(Sessions(SECRET, KEYS))
    assert Sessions(SECRET, KEYS).read(cookie, NOW + LIFETIME_SECONDS + 1) is None
    assert Sessions("t" * 40, KEYS).read(cookie, NOW) is None
    removed = ApiKeys.parse([("1", f"shop:client:{CLIENT_KEY}")])
    assert Sessions(SECRET, removed).read(cookie, NOW) is None


def test_without_keys_everyone_is_the_anonymous_operator_and_only_then() -> None:
    open_sessions = Sessions(SECRET, ApiKeys())
    session, cookie = open_sessions.begin(ANONYMOUS, NOW)
    assert open_sessions.open and open_sessions.read(cookie, NOW) == session
    assert Sessions(SECRET, KEYS).read(cookie, NOW) is None, "keys configured: anonymous opens nothing"
