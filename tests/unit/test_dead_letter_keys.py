"""A dead letter's key: the same for every delivery of one message, different for another message;
and its reason and source queue, whether our consumers or the broker dead-lettered it."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractIncomingMessage

from saga_orchestrator.persistence.dead_letters import Letter
from saga_orchestrator.runtime.dead_letters import letter_of

pytestmark = pytest.mark.unit


@dataclass
class _Message:
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None


def _letter(headers: dict[str, Any], body: bytes = b"{}", message_id: str | None = "m-1") -> Letter:
    return letter_of(cast(AbstractIncomingMessage, _Message(body, headers, message_id)))


OURS = {"x-reason": "Invalid JSON", "x-original-queue": "t.payment.commands"}


def test_a_redelivery_has_the_key_of_the_first_delivery() -> None:
    assert _letter(OURS).key == _letter({**OURS, "x-delivery-count": 3}).key


@pytest.mark.parametrize(
    "other",
    [
        _letter(OURS, body=b"[]"),
        _letter(OURS, message_id="m-2"),
        _letter(OURS, message_id=None),
        _letter({**OURS, "x-reason": "another reason"}),
        _letter({**OURS, "x-original-queue": "t.order.commands"}),
    ],
)
def test_another_message_has_another_key(other: Letter) -> None:
    assert other.key != _letter(OURS).key


def test_ours_name_their_reason_and_queue() -> None:
    letter = _letter(OURS)
    assert (letter.reason, letter.source_queue) == ("Invalid JSON", "t.payment.commands")


def test_the_brokers_name_theirs_in_its_own_headers_kept_as_json() -> None:
    death = {"queue": "t.shipping.commands", "reason": "rejected", "time": datetime(2026, 1, 1, tzinfo=UTC)}
    letter = _letter(
        {
            "x-first-death-reason": "rejected",
            "x-first-death-queue": "t.shipping.commands",
            "x-death": [death],
            "x-raw": b"\xff",
        }
    )
    assert (letter.reason, letter.source_queue) == ("rejected", "t.shipping.commands")
    assert letter.headers["x-death"][0]["time"] == "2026-01-01T00:00:00+00:00"
    assert letter.headers["x-raw"] == "\ufffd"


def test_a_nul_quoted_from_a_poison_message_is_stored_as_a_replacement_character() -> None:
    letter = _letter({"x-reason": "text holds NUL: a\x00b", "x-original-queue": "q"}, message_id="m\x00")
    assert letter.reason == "text holds NUL: a\ufffdb"
    assert letter.headers["x-reason"] == letter.reason and letter.message_id == "m\ufffd"
