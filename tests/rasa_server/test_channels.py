"""The channels' own behaviour (rasa_hybrid/channels/), with Rasa's in-memory stores."""

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa_hybrid.channels.limits import (
    MessageLimit,
    max_chars_from,
    response_of,
    too_long,
)
from rasa_hybrid.channels.retry import RetrySafeHandler, replies_to

DOMAIN = Domain.from_dict(
    {
        "responses": {
            "utter_message_too_long": [
                {"text": "Too long, on Slack", "channel": "slack"},
                {
                    "text": "Too long.",
                    "buttons": [{"title": "Help", "payload": "/help"}],
                },
            ]
        }
    }
)


class FakeServer:
    """A ServerRef whose agent is given."""

    def __init__(self, agent):
        self.agent = agent


class Processor:
    """Handles a message the way Rasa's processor does: one user event, one reply."""

    def __init__(self, store):
        self.store = store
        self.handled = []

    async def handle_message(self, message):
        self.handled.append(message.text)
        tracker = await self.store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        tracker.update(BotUttered(f"you said {message.text}"))
        await self.store.save(tracker)
        await message.output_channel.send_text_message(
            message.sender_id, f"you said {message.text}"
        )


class Agent:
    def __init__(self):
        self.domain = DOMAIN
        self.tracker_store = InMemoryTrackerStore(DOMAIN)
        self.lock_store = InMemoryLockStore()
        self.processor = Processor(self.tracker_store)


def send(handler, text, sender="c1", metadata=None):
    out = CollectingOutputChannel()
    message = UserMessage(text, out, sender, metadata=metadata)
    asyncio.run(handler(message))
    return out.messages


def test_limit_from_credentials():
    assert max_chars_from(None) == 4000
    assert max_chars_from({"max_message_chars": 10}) == 10
    for bad in [0, -1, "10", 2.5, True]:
        with pytest.raises(ValueError):
            max_chars_from({"max_message_chars": bad})


def test_too_long_counts_characters():
    assert not too_long(None, 3)
    assert not too_long("abc", 3)
    assert too_long("abcd", 3)
    assert too_long("ééééé", 4)


def test_the_reply_is_the_domain_response_for_every_channel():
    assert response_of(DOMAIN.responses) == {
        "text": "Too long.",
        "buttons": [{"title": "Help", "payload": "/help"}],
    }
    assert response_of({}) is None


def test_a_message_over_the_limit_is_answered_and_not_passed_on():
    agent = Agent()
    seen = []

    async def on_new_message(message):
        seen.append(message.text)

    handler = MessageLimit(5, FakeServer(agent)).wrap(on_new_message)
    assert send(handler, "hello") == []
    [reply] = send(handler, "hello!")
    assert reply["text"] == "Too long." and reply["buttons"][0]["payload"] == "/help"
    assert seen == ["hello"]


def test_without_a_model_the_start_of_the_message_is_read():
    seen = []

    async def on_new_message(message):
        seen.append(message.text)

    send(MessageLimit(5, FakeServer(None)).wrap(on_new_message), "hello world")
    assert seen == ["hello"]


def test_replies_to_finds_what_followed_the_message():
    events = [
        UserUttered("hi", message_id="m1"),
        ActionExecuted("utter_greet"),
        BotUttered("Hello!", data={"buttons": [{"title": "A", "payload": "/a"}]}),
        BotUttered("How can I help?"),
        ActionExecuted("action_listen"),
        UserUttered("bye", message_id="m2"),
        ActionExecuted("action_listen"),
    ]
    assert replies_to(events, "m1") == [
        {"text": "Hello!", "buttons": [{"title": "A", "payload": "/a"}]},
        {"text": "How can I help?"},
    ]
    assert replies_to(events, "m2") == []
    assert replies_to(events, "m3") is None
    assert replies_to([], "m1") is None


def test_a_repeated_message_id_is_answered_from_the_tracker_not_run_again():
    agent = Agent()

    async def on_new_message(message):  # Rasa's handler: not used with an id
        raise AssertionError("the retry-safe path calls the processor itself")

    handler = RetrySafeHandler(FakeServer(agent)).wrap(on_new_message)
    first = send(handler, "hi", metadata={"message_id": "m1"})
    again = send(handler, "hi", metadata={"message_id": "m1"})
    other = send(handler, "hi", metadata={"message_id": "m2"})
    assert [m["text"] for m in first] == ["you said hi"]
    assert [m["text"] for m in again] == ["you said hi"]
    assert [m["text"] for m in other] == ["you said hi"]
    assert agent.processor.handled == ["hi", "hi"]
    tracker = asyncio.run(agent.tracker_store.retrieve("c1"))
    ids = [e.message_id for e in tracker.events if isinstance(e, UserUttered)]
    assert ids == ["m1", "m2"]


def test_messages_without_an_id_go_the_usual_way():
    seen = []

    async def on_new_message(message):
        seen.append(message.text)

    handler = RetrySafeHandler(FakeServer(Agent())).wrap(on_new_message)
    send(handler, "hi")
    send(handler, "hi")
    assert seen == ["hi", "hi"]


REPLIES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []},
    {"responses": [{"response": "utter_greet"}]},
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [{"text": 5}]},
]


def _verdict(check, reply):
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    try:
        return check(RemoteAction, reply)  # the method only needs the static spec
    except ValidationError as error:
        assert "Failed to validate Action server response" in error.message
        return "invalid"


def test_the_compiled_action_check_agrees_with_rasa_s():
    from rasa.core.actions.action import RemoteAction
    from rasa_hybrid.patches import action_validation

    action_validation.install()
    assert action_validation.installed()
    assert RemoteAction._validate_action_result is not action_validation._ORIGINAL
    verdicts = [_verdict(action_validation._ORIGINAL, r) for r in REPLIES]
    assert verdicts == [
        _verdict(action_validation.validate_action_result, r) for r in REPLIES
    ]
    assert verdicts.count("invalid") >= 2 and verdicts.count(True) >= 3
