from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router_extproc.endpoints import parse_request, serialize, spec
from router_extproc.endpoints.paths import endpoint_for
from router_extproc.errors import RequestError


def _parse(body, endpoint="chat"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_request(endpoint, raw)


def _error(body, endpoint="chat") -> RequestError:
    with pytest.raises(RequestError) as info:
        _parse(body, endpoint)
    return info.value


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/chat/completions", "chat"),
        ("POST", "/v1/chat/completions?x=1", "chat"),
        ("POST", "/v1/chat/completions/", "chat"),
        ("POST", "/v1/completions", "completions"),
        ("POST", "/v1/responses", "responses"),
        ("POST", "/v1/messages", "messages"),
        ("POST", "/messages", "messages"),
        ("GET", "/v1/chat/completions", None),
        ("POST", "/v1/embeddings", None),
        ("GET", "/v1/models", None),
    ],
)
def test_endpoint_for(method: str, path: str, expected: str | None) -> None:
    assert endpoint_for(method, path) == expected


def test_chat_string_and_parts_multi_turn() -> None:
    request = _parse(
        {
            "model": "auto",
            "stream": True,
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "first question"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
                {"role": "tool", "content": "result", "tool_call_id": "1"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                        {"type": "text", "text": "in this picture?"},
                    ],
                },
            ],
        }
    )
    assert request.stream is True
    assert request.has_tools is True
    assert request.media == frozenset({"image"})
    assert request.last_user_text == "what is\nin this picture?"
    assert request.user_text == "first question\nwhat is\nin this picture?"
    assert "be brief" in request.conversation_text and "result" in request.conversation_text


def test_completions_prompt_forms() -> None:
    assert _parse({"model": "m", "prompt": "hi"}, "completions").last_user_text == "hi"
    assert _parse({"model": "m", "prompt": ["a", "b"]}, "completions").last_user_text == "a\nb"
    tokens = _parse({"model": "m", "prompt": [1, 2, 3]}, "completions")
    assert tokens.last_user_text == "" and tokens.opaque_prompt
    assert _parse({"model": "m", "prompt": [[1, 2], [3]]}, "completions").opaque_prompt
    with_suffix = _parse({"model": "m", "prompt": "def f(", "suffix": "return x"}, "completions")
    assert with_suffix.last_user_text == "def f(\nreturn x" and not with_suffix.opaque_prompt
    assert _error({"model": "m"}, "completions").code == "missing_prompt"
    assert _error({"model": "m", "prompt": {"x": 1}}, "completions").code == "invalid_type"


chat_body = {"model": "auto", "messages": [{"role": "user", "content": "x"}]}


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (b"", "missing_body", None),
        (b"{not json", "invalid_json", None),
        (b"[1, 2]", "invalid_json", None),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "caf\xe9"}]}', "invalid_encoding", None),
        ({"messages": [{"role": "user", "content": "x"}]}, "missing_model", "model"),
        ({"model": 3, "messages": [{"role": "user", "content": "x"}]}, "invalid_type", "model"),
        ({"model": "auto"}, "missing_messages", "messages"),
        ({"model": "auto", "messages": []}, "invalid_messages", "messages"),
        ({"model": "auto", "messages": "hi"}, "invalid_messages", "messages"),
        ({"model": "auto", "messages": ["hi"]}, "invalid_messages", "messages[0]"),
        ({"model": "auto", "messages": [{"role": "wizard", "content": "x"}]}, "invalid_messages", "messages[0].role"),
        ({"model": "auto", "messages": [{"role": "user"}]}, "invalid_messages", "messages[0].content"),
        ({"model": "auto", "messages": [{"role": "user", "content": 5}]}, "invalid_messages", "messages[0].content"),
        ({"model": "auto", "messages": [{"role": "user", "content": [{"text": "x"}]}]}, "invalid_messages", "messages[0].content[0]"),
        ({"model": "auto", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "invalid_type", "stream"),
        ({"model": "auto", "messages": [{"role": "user", "content": "x"}], "tools": {}}, "invalid_type", "tools"),
        ({"model": "auto", "messages": [{"role": ["user"], "content": "x"}]}, "invalid_messages", "messages[0].role"),
        ({"model": "auto", "messages": [{"role": {}, "content": "x"}]}, "invalid_messages", "messages[0].role"),
        ({**chat_body, "stream_options": "usage"}, "invalid_type", "stream_options"),
        ({**chat_body, "stream_options": {"include_usage": "yes"}}, "invalid_type", "stream_options.include_usage"),
        ({**chat_body, "chat_template_kwargs": "think"}, "invalid_type", "chat_template_kwargs"),
        ({**chat_body, "reasoning_effort": 3}, "invalid_type", "reasoning_effort"),
        ({**chat_body, "functions": {}}, "invalid_type", "functions"),
        # parseable by Python's json, not forwardable: each named, never the router's error path
        (b'{"model": "auto", "messages": [{"role": "user", "content": "a\\ud800b"}]}', "invalid_encoding",
         "messages[0].content"),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "temperature": NaN}', "invalid_number",
         "temperature"),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "seed": 1e999}', "invalid_number", "seed"),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "seed": ' + b"9" * 4301 + b"}",
         "invalid_number", "seed"),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "m": ' + b"[" * 990 + b"]" * 990 + b"}",
         "nesting_too_deep", "m[0][0][0]..."),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "m": ' + b"[" * 1100 + b"]" * 1100 + b"}",
         "nesting_too_deep", None),
    ],
)
def test_bad_requests_are_400_naming_the_field(body, code: str, param: str | None) -> None:
    error = _error(body)
    assert error.status == 400
    assert error.code == code
    if param is not None and param.endswith("..."):  # a long path, shortened
        assert error.param.startswith(param[:-3]) and error.param.endswith("...")
    else:
        assert error.param == param
    payload = error.payload()["error"]
    assert payload["message"] and payload["type"] == "invalid_request_error"


def test_big_integers_beyond_64_bits_are_valid_json() -> None:
    request = _parse(b'{"model": "auto", "seed": 123456789012345678901234567890, "messages": [{"role": "user", "content": "x"}]}')
    assert request.body["seed"] == 123456789012345678901234567890


def test_error_rendering_for_sse_clients() -> None:
    error = _error({"model": "auto"})
    body, content_type = spec("chat").render_error(error, stream=True)
    assert content_type == "text/event-stream"
    events = [line for line in body.decode().split("\n\n") if line]
    assert json.loads(events[0].removeprefix("data: "))["error"]["code"] == "missing_messages"
    assert events[-1] == "data: [DONE]"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_fail_with_a_request_error(raw: bytes) -> None:
    try:
        parse_request("chat", raw)
    except RequestError as error:
        assert 400 <= error.status < 500


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


FIELDS = ["model", "messages", "stream", "stream_options", "tools", "functions", "prompt", "suffix", "chat_template_kwargs",
          "reasoning_effort", "input", "instructions", "system", "max_tokens", "max_output_tokens", "thinking", "x"]



@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values))
def test_any_json_object_parses_or_fails_with_a_request_error(body: dict) -> None:
    for endpoint in ("chat", "completions", "responses", "messages"):
        try:
            request = parse_request(endpoint, json.dumps(body).encode())
        except RequestError as error:
            assert error.status == 400
        else:  # what parses can be forwarded
            assert json.loads(serialize(request.body)) == json.loads(json.dumps(body))


def test_big_integers_survive_serialization() -> None:
    raw = b'{"model": "auto", "seed": 123456789012345678901234567890, "messages": [{"role": "user", "content": "x"}]}'
    request = _parse(raw)
    assert json.loads(serialize(request.body))["seed"] == 123456789012345678901234567890
