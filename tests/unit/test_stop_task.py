from rasa_sdk.events import SlotSet

from actions.stop_task import ActionStopTask


def test_stopping_forgets_the_task_but_not_who_the_customer_is(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        "never mind",
        intent="stop",
        slots={"order_number": "A-1234", "verified_customer_id": "1"},
    )
    events = ActionStopTask().run(dispatcher, tracker, domain)
    assert SlotSet("order_number", None) in events
    assert SlotSet("order_verification", None) in events
    assert all(event["name"] != "verified_customer_id" for event in events)
    assert [m["response"] for m in dispatcher.messages] == ["utter_stopped"]
    assert ActionStopTask().name() in domain["actions"]
