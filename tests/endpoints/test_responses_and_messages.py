"""The Responses and Anthropic Messages specs: parsing to the common view, actions, error shapes."""

from __future__ import annotations

import json

import pytest

from router_extproc.endpoints import parse_body, spec
from router_extproc.errors import RequestError
from router_extproc.policy.spec import ModelSpec, Reasoning, SystemPrompt

RESPONSES = {
    "model": "auto", "instructions": "Be brief.", "previous_response_id": "resp_1", "max_output_tokens": 300,
    "tools": [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
    "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "what is on"},
                                     {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]},
        {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{\"q\": \"menu\"}"},
        {"type": "function_call_output", "call_id": "c1", "output": "soup of the day"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Soup."}]},
        {"type": "reasoning", "summary": []},
        {"role": "user", "content": "and dessert?"},
    ],
}
MESSAGES = {
    "model": "auto", "max_tokens": 512, "system": [{"type": "text", "text": "Be brief."}],
    "tools": [{"name": "lookup", "input_schema": {"type": "object"}}],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "what is on the menu?"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                  "data": "AAAA"}}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "menu"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "soup of the day"},
                                     {"type": "text", "text": "and dessert?"}]},
    ],
}


def test_responses_input_items_become_the_common_conversation() -> None:
    request = parse_body("responses", RESPONSES)
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert request.messages[0].text == "Be brief." and request.messages[1].media == {"image"}
    assert "menu" in request.messages[2].text and request.messages[3].text == "soup of the day"
    assert request.last_user_text == "and dessert?"
    assert (request.has_tools, request.max_output_tokens, request.media) == (True, 300, frozenset({"image"}))
    assert parse_body("responses", {"model": "m", "input": "hello"}).last_user_text == "hello"
    assert parse_body("responses", {"model": "m", "previous_response_id": "r"}).messages == []


def test_messages_blocks_become_the_common_conversation() -> None:
    request = parse_body("messages", MESSAGES)
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "tool", "user"]
    assert request.messages[1].media == {"image"} and "lookup" in request.messages[2].text
    assert request.messages[3].text == "soup of the day" and request.last_user_text == "and dessert?"
    assert (request.has_tools, request.max_output_tokens) == (True, 512)
    assert parse_body("messages", {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
                      ).last_user_text == "hi"


@pytest.mark.parametrize(("name", "body", "param"), [
    ("responses", {"model": "m"}, "input"),
    ("responses", {"model": "m", "input": 5}, "input"),
    ("responses", {"model": "m", "input": [{"role": "wizard", "content": "x"}]}, "input[0].role"),
    ("responses", {"model": "m", "input": "x", "max_output_tokens": -1}, "max_output_tokens"),
    ("messages", {"model": "m", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
    ("messages", {"model": "m", "max_tokens": 5, "messages": []}, "messages"),
    ("messages", {"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
    ("messages", {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"text": "x"}]}]},
     "messages[0].content[0]"),
])
def test_bad_bodies_are_400_naming_the_field(name: str, body: dict, param: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_body(name, body)
    assert info.value.status == 400 and info.value.param == param


def test_system_prompt_and_reasoning_go_where_each_api_keeps_them() -> None:
    model = ModelSpec(provider_model_id="m", cost={"input_per_1m": 1, "output_per_1m": 1}, privacy="local",
                      reasoning_family="openai")
    responses = dict(RESPONSES)
    spec("responses").add_system_prompt(responses, SystemPrompt(text="Policy."))
    spec("responses").set_reasoning(responses, model, Reasoning(effort="high"))
    assert responses["instructions"] == "Policy.\n\nBe brief." and responses["reasoning"] == {"effort": "high"}
    claude = model.model_copy(update={"reasoning_family": "anthropic"})
    messages = dict(MESSAGES, max_tokens=4096)
    spec("messages").add_system_prompt(messages, SystemPrompt(text="Policy."))
    spec("messages").set_reasoning(messages, claude, Reasoning(effort="low"))
    assert messages["system"][0] == {"type": "text", "text": "Policy."} and len(messages["system"]) == 2
    assert messages["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    tiny = MESSAGES | {"max_tokens": 1000}  # no room for a thinking budget below max_tokens: left alone
    spec("messages").set_reasoning(tiny, claude, Reasoning(effort="high"))
    assert "thinking" not in tiny
    assert spec("responses").ask_for_usage(dict(RESPONSES, stream=True)) is False  # always reported


def test_every_string_of_the_body_is_walked_model_excepted() -> None:
    strings = {text for _, text in spec("messages").strings(MESSAGES | {"metadata": {"user_id": "u-42"}})}
    assert {"Be brief.", "soup of the day", "menu", "u-42", "user_id"} <= strings
    assert "auto" not in strings


@pytest.mark.parametrize("stream", [False, True])
def test_error_shapes(stream: bool) -> None:
    error = RequestError(403, "blocked", "invalid_request_error", "prompt_injection_detected")
    body, kind = spec("messages").render_error(error, stream)
    text = body.decode()
    payload = json.loads(text.split("data: ", 1)[1] if stream else text)
    assert payload == {"type": "error", "error": {"type": "permission_error", "message": "blocked"}}
    assert text.startswith("event: error\n") == stream and kind == ("text/event-stream" if stream else "application/json")
    body, kind = spec("responses").render_error(error, stream)
    text = body.decode()
    payload = json.loads(text.split("data: ", 1)[1] if stream else text)
    assert (payload["type"], payload["code"]) == ("error", "prompt_injection_detected") if stream else \
        payload["error"]["code"] == "prompt_injection_detected"
