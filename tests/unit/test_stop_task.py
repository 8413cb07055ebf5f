from rasa_sdk.events import SlotSet

from actions.stop_task import ActionStopTask


def test_stopping_forgets_the_task_but_not_who_the_customer_is(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        "never mind",
        intent="stop",
        slots={
            "order_number": "A-1234",
            "order_verification": "failed",
            "appliance": "washer",
            "verified_customer_id": "1",
        },
    )
    events = ActionStopTask().run(dispatcher, tracker, domain)
    # Only what holds something is reset: empty slots need no event.
    assert sorted(events, key=lambda event: event["name"]) == [
        SlotSet("appliance", None),
        SlotSet("order_number", None),
        SlotSet("order_verification", None),
    ]
    assert [m["response"] for m in dispatcher.messages] == ["utter_stopped"]
    assert ActionStopTask().name() in domain["actions"]


def test_stopping_with_nothing_collected_only_confirms(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker("never mind", intent="stop")
    assert ActionStopTask().run(dispatcher, tracker, domain) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_stopped"]
