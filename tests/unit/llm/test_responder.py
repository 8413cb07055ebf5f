import asyncio

import pytest

from actions.llm.context import Turn
from actions.llm.providers.base import ProviderNotReady
from actions.llm.providers.fake import FakeProvider
from actions.llm.responder import Responder, TurnRequest
from actions.llm.settings import LLMSettings


def ask(responder: Responder, text: str = "how do I descale my washer?", **fields):
    fields.setdefault("route", "product_question")
    request = TurnRequest(conversation_id="c1", text=text, **fields)
    return asyncio.run(responder.respond(request))


def test_an_answer_is_cleaned_and_sent_with_the_prompt(make_responder):
    responder = make_responder(["Assistant: Use a descaling tablet monthly. Then"])
    reply = ask(responder, history=[Turn("assistant", "Hi, I'm Acme's assistant.")])
    assert reply.kind == "answer"
    assert reply.text == "Use a descaling tablet monthly."
    (messages,) = responder.provider.calls
    assert messages[0]["role"] == "system"
    assert "Acme Appliances" in messages[0]["content"]
    assert messages[1] == {"role": "assistant", "content": "Hi, I'm Acme's assistant."}
    assert messages[-1] == {"role": "user", "content": "how do I descale my washer?"}
    assert reply.completion_tokens > 0 and reply.prompt_tokens > 0


def test_a_related_task_is_offered(make_responder):
    reply = ask(make_responder(["Check the door seal."]), "my washer is leaking")
    assert reply.offers == ("utter_offer_repair_visit",)


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "我的洗衣机坏了"])
def test_unreadable_input_never_reaches_the_model(make_responder, text):
    responder = make_responder([])
    assert ask(responder, text).kind == "unreadable"
    assert responder.provider.calls == []


def test_a_slow_model_times_out_and_the_turn_goes_on(make_responder):
    responder = make_responder([{"text": "late", "delay_s": 5}], timeout_s=0.2)
    reply = ask(responder)
    assert reply.kind == "unavailable"
    assert "timeout" in reply.reason
    assert reply.seconds < 2


def test_provider_errors_and_empty_output_become_unavailable(make_responder):
    responder = make_responder([{"error": "HTTP 500"}, "<|im_end|>"])
    first = ask(responder)
    second = ask(responder)
    assert (first.kind, second.kind) == ("unavailable", "unavailable")
    assert "HTTP 500" in first.reason
    assert second.reason == "empty output"


def test_an_overused_fake_fails_loudly_but_not_into_the_conversation(
    make_responder, caplog
):
    responder = make_responder(["One."])
    assert ask(responder).kind == "answer"
    reply = ask(responder)
    assert reply.kind == "unavailable"
    assert "scripted for 1" in reply.reason
    assert "Fake LLM called 2 times but scripted for 1" in caplog.text


def test_the_breaker_stops_calls_after_repeated_failures(make_responder, clock):
    replies = [{"error": "down"}] * 3 + ["Back again."]
    responder = make_responder(
        replies, clock=clock, breaker_failures=3, breaker_cooldown_s=30
    )
    for _ in range(3):
        assert ask(responder).kind == "unavailable"
    reply = ask(responder)
    assert reply.reason == "circuit breaker open"
    assert len(responder.provider.calls) == 3
    clock.advance(31)
    assert ask(responder).text == "Back again."


def test_a_model_still_loading_is_not_held_against_it(make_responder):
    class Loading(FakeProvider):
        async def ready(self, timeout: float) -> None:
            raise ProviderNotReady("still loading")

    responder = Responder(
        LLMSettings(provider="fake", breaker_failures=1), Loading(["never"])
    )
    assert ask(responder).reason == "still loading"
    assert not responder.breaker.is_open


def test_a_huge_message_is_truncated_not_crashed_on(make_responder):
    responder = make_responder(["Got it."], max_prompt_tokens=300, max_user_tokens=40)
    reply = ask(responder, "my washer " * 20_000)
    assert reply.kind == "answer"
    (messages,) = responder.provider.calls
    assert responder.provider.prompt_tokens(messages) <= 300
    assert len(messages[-1]["content"]) < 400


def test_the_prompt_never_exceeds_the_context_window():
    provider = FakeProvider(["Fine."], context_window=300)
    settings = LLMSettings(provider="fake", max_prompt_tokens=5000, max_new_tokens=64)
    responder = Responder(settings, provider)
    history = [Turn("user", "tell me more about dryers " * 10)] * 30
    assert ask(responder, history=history).kind == "answer"
    assert provider.prompt_tokens(provider.calls[0]) <= 300 - 64


def test_other_turns_run_while_a_slow_model_answers(make_responder):
    responder = make_responder([{"text": "Slow but sure.", "delay_s": 0.5}])

    async def scenario() -> tuple[str, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        reply = await responder.respond(TurnRequest("c1", "hello?", "chitchat"))
        task.cancel()
        return reply.text, ticks

    text, ticks = asyncio.run(scenario())
    assert text == "Slow but sure."
    assert ticks >= 10
