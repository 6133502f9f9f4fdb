"""A message carries one command or reply, or a list of those sent together."""

import json
from uuid import uuid4

import pytest

from shared.messages import items_in, message_body

pytestmark = pytest.mark.unit


def _reply(step: str) -> dict[str, object]:
    return {"success": True, "sagaId": str(uuid4()), "stepId": step, "result": {}, "error": None}


def test_one_item_is_sent_as_itself() -> None:
    reply = _reply("createOrder")

    assert json.loads(message_body([reply])) == reply
    assert items_in(message_body([reply])) == [reply]


def test_several_items_are_sent_as_a_list_in_order() -> None:
    replies = [_reply("createOrder"), _reply("processPayment"), _reply("reserveStock")]

    assert json.loads(message_body(replies)) == replies
    assert items_in(message_body(replies)) == replies


def test_items_are_not_checked_here_each_is_checked_by_its_consumer() -> None:
    assert items_in(b'[{"success": true}, 5]') == [{"success": True}, 5]
    assert items_in(b'"just a string"') == ["just a string"]


@pytest.mark.parametrize(("body", "reason"), [(b"[]", "empty list"), (b"{nope", "Invalid JSON")])
def test_a_message_with_nothing_in_it_says_why(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        items_in(body)
