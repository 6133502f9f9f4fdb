"""A message carries one command or reply, or a list of those sent together."""

import json
from uuid import uuid4

import pytest

from shared.contracts import Reply, items_in, message_body, replies_in


def _reply(step: str) -> dict[str, object]:
    return {"success": True, "sagaId": str(uuid4()), "stepId": step, "result": {}, "error": None}


def test_a_message_with_one_reply_carries_that_reply() -> None:
    body = _reply("createOrder")

    [reply] = replies_in(json.dumps(body).encode())

    assert reply == Reply.model_validate(body)


def test_a_message_with_a_list_carries_each_reply_in_order() -> None:
    bodies = [_reply("createOrder"), _reply("processPayment"), _reply("reserveStock")]

    replies = replies_in(json.dumps(bodies).encode())

    assert [reply.step_id for reply in replies] == ["createOrder", "processPayment", "reserveStock"]


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"not json",
        json.dumps([_reply("createOrder"), {"success": True}]).encode(),
        json.dumps({**_reply("createOrder"), "extra": 1}).encode(),
        json.dumps([[_reply("createOrder")]]).encode(),
    ],
    ids=["empty-list", "not-json", "one-of-them-invalid", "unknown-field", "nested-list"],
)
def test_anything_else_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        replies_in(body)


def test_one_item_is_sent_as_itself_and_several_as_a_list() -> None:
    first, second = _reply("createOrder"), _reply("processPayment")

    assert items_in(message_body([first])) == [first]
    assert json.loads(message_body([first])) == first
    assert items_in(message_body([first, second])) == [first, second]


@pytest.mark.parametrize(("body", "reason"), [(b"[]", "empty list"), (b"{nope", "Invalid JSON")])
def test_a_message_with_nothing_in_it_says_why(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        items_in(body)
