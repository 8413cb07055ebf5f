"""channels/readiness.py: the web chat waits until the action server is ready."""

import asyncio

from rasa_hybrid.channels.readiness import ActionServerReadiness, probe, ready_url


def test_ready_is_beside_the_webhook():
    assert ready_url("http://127.0.0.1:5055/webhook") == "http://127.0.0.1:5055/ready"
    assert ready_url("https://x.example/actions/webhook/") == (
        "https://x.example/actions/ready"
    )


def test_not_ready_until_the_action_server_says_so_then_ready_for_good():
    answers = [False, True]
    asked = []

    async def fake_probe(url):
        asked.append(url)
        return answers.pop(0)

    readiness = ActionServerReadiness(probe=fake_probe)
    webhook = "http://127.0.0.1:5055/webhook"
    assert asyncio.run(readiness.ready(webhook)) is False
    assert asyncio.run(readiness.ready(webhook)) is True
    assert asyncio.run(readiness.ready(webhook)) is True
    assert asked == ["http://127.0.0.1:5055/ready"] * 2


def test_no_action_server_means_nothing_to_wait_for():
    async def never(url):
        raise AssertionError("not asked")

    assert asyncio.run(ActionServerReadiness(probe=never).ready(None)) is True


def test_a_server_that_does_not_answer_is_not_ready():
    assert asyncio.run(probe("http://127.0.0.1:9/ready", timeout_s=2)) is False
