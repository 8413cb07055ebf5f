"""The OpenAI-compatible provider against a local server speaking the protocol."""

import asyncio

import pytest
from rasa_hybrid.providers.base import ProviderError
from rasa_hybrid.providers.openai_compatible import (
    OpenAICompatibleProvider,
    completion_request,
    parse_completion,
)

from devtools.openai_stub import OpenAIStub
from devtools.servers import free_port

MESSAGES = [{"role": "user", "content": "is my dryer vented?"}]


def complete(provider, timeout=5.0):
    return asyncio.run(provider.complete(MESSAGES, 16, timeout))


def test_the_request_is_a_greedy_chat_completion():
    body = completion_request("smol", MESSAGES, 16)
    assert body == {
        "model": "smol",
        "messages": MESSAGES,
        "max_tokens": 16,
        "temperature": 0,
        "n": 1,
        "stream": False,
    }


def test_sends_model_and_key_and_reads_usage():
    with OpenAIStub(["It has a hose to the outside."], api_key="k-123") as stub:
        provider = OpenAICompatibleProvider(
            stub.base_url + "/", "smol", api_key="k-123"
        )
        completion = complete(provider)
    assert completion.text == "It has a hose to the outside."
    assert completion.completion_tokens == 7
    assert stub.requests[0]["model"] == "smol"
    assert stub.requests[0]["max_tokens"] == 16


def test_a_wrong_key_is_an_error_with_the_status():
    with OpenAIStub(api_key="right") as stub:
        provider = OpenAICompatibleProvider(stub.base_url, "smol", api_key="wrong")
        with pytest.raises(ProviderError, match="HTTP 401"):
            complete(provider)


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b"<html>gateway</html>", "did not answer JSON"), (b'{"x": 1}', "not a chat")],
)
def test_a_response_that_is_not_a_completion_is_an_error(raw, message):
    with OpenAIStub() as stub:
        stub.raw_body = raw
        with pytest.raises(ProviderError, match=message):
            complete(OpenAICompatibleProvider(stub.base_url, "smol"))


def test_nobody_listening_is_an_error():
    provider = OpenAICompatibleProvider(f"http://127.0.0.1:{free_port()}/v1", "smol")
    with pytest.raises(ProviderError, match="ConnectError"):
        complete(provider)


def test_missing_usage_is_estimated():
    text, prompt, completion = parse_completion(
        {"choices": [{"message": {"content": "Yes."}}]}
    )
    assert (text, prompt, completion) == ("Yes.", None, None)
    with OpenAIStub() as stub:
        stub.raw_body = b'{"choices": [{"message": {"content": "Yes, it is."}}]}'
        completion = complete(OpenAICompatibleProvider(stub.base_url, "smol"))
    assert completion.completion_tokens > 0 and completion.prompt_tokens > 0


def test_one_client_serves_many_calls_in_one_loop():
    with OpenAIStub(["One.", "Two.", "Three."]) as stub:
        provider = OpenAICompatibleProvider(stub.base_url, "smol")

        async def three():
            return [(await provider.complete(MESSAGES, 8, 5)).text for _ in range(3)]

        assert asyncio.run(three()) == ["One.", "Two.", "Three."]
