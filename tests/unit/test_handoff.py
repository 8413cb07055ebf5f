import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.events import SlotSet

from actions.handoff import ActionHandoff
from actions.support_hours import SupportHours

NEW_YORK = ZoneInfo("America/New_York")
HANDOFF_RESPONSES = {
    "utter_handoff",
    "utter_handoff_open",
    "utter_handoff_closed_today",
    "utter_handoff_closed_tomorrow",
    "utter_handoff_closed_later",
}


def fixed_clock(*args):
    moment = dt.datetime(*args, tzinfo=NEW_YORK)
    return lambda: moment


def assert_fills_a_domain_response(message, domain):
    """The message names a response of the domain and fills all its placeholders."""
    name = message["response"]
    assert name in domain["responses"], f"{name} is not in domain.yml"
    for variant in domain["responses"][name]:
        placeholders = set(re.findall(r"{(\w+)}", variant["text"]))
        missing = {key for key in placeholders if not message.get(key)}
        assert not missing, f"{name} needs {missing}"
    assert message.get("text") is None, "actions choose responses, they write no text"


def run(action, dispatcher, make_tracker, domain):
    tracker = make_tracker("can i talk to a person", intent="request_human")
    return action.run(dispatcher, tracker, domain)


@pytest.mark.parametrize(
    "clock, response, values",
    [
        (fixed_clock(2026, 11, 30, 10), "utter_handoff_open", {"closes_at": "8 pm"}),
        (
            fixed_clock(2026, 11, 30, 6),
            "utter_handoff_closed_today",
            {"opens_at": "8 am"},
        ),
        (
            fixed_clock(2026, 11, 27, 21),  # Friday night: Saturday opens at 9
            "utter_handoff_closed_tomorrow",
            {"opens_at": "9 am"},
        ),
        (
            fixed_clock(2026, 11, 28, 18),  # Saturday evening: closed on Sunday
            "utter_handoff_closed_later",
            {"opens_day": "Monday", "opens_at": "8 am"},
        ),
    ],
)
def test_the_reply_says_whether_someone_is_there(
    clock, response, values, dispatcher, make_tracker, domain
):
    events = run(ActionHandoff(clock=clock), dispatcher, make_tracker, domain)

    assert events == [SlotSet("handoff_requested", True)]
    [message] = dispatcher.messages
    assert message["response"] == response
    for key, value in values.items():
        assert message[key] == value
    assert_fills_a_domain_response(message, domain)


def test_unreadable_hours_still_give_the_contact_details(
    dispatcher, make_tracker, domain
):
    def broken():
        raise ValueError("Support hours: the team is never open.")

    action = ActionHandoff(clock=fixed_clock(2026, 11, 30, 10), load_hours=broken)
    events = run(action, dispatcher, make_tracker, domain)

    assert events == [SlotSet("handoff_requested", True)]
    [message] = dispatcher.messages
    assert message["response"] == "utter_handoff"
    assert_fills_a_domain_response(message, domain)


def test_hours_are_read_again_after_a_failure_and_then_kept(
    dispatcher, make_tracker, domain
):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("file is being replaced")
        return SupportHours.load()

    action = ActionHandoff(clock=fixed_clock(2026, 11, 30, 10), load_hours=flaky)
    for _ in range(3):
        run(action, dispatcher, make_tracker, domain)

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_handoff",
        "utter_handoff_open",
        "utter_handoff_open",
    ]
    assert len(calls) == 2


def test_the_action_server_can_build_it_without_arguments(
    dispatcher, make_tracker, domain
):
    action = ActionHandoff()
    assert action.name() == "action_handoff"
    assert action.name() in domain["actions"]

    run(action, dispatcher, make_tracker, domain)

    [message] = dispatcher.messages
    assert message["response"] in HANDOFF_RESPONSES
    assert_fills_a_domain_response(message, domain)
