"""Each API's answer, read for the cascade: text, stop reason, token logprobs."""

from __future__ import annotations

import json

from router_extproc.routing.answer_text import read_answer


def test_chat_with_logprobs() -> None:
    body = {"choices": [{"message": {"content": "(C)"}, "finish_reason": "length",
                         "logprobs": {"content": [{"token": "(", "logprob": -0.1}, {"token": "C", "logprob": -0.5}]}}]}
    answer = read_answer("chat", json.dumps(body).encode())
    assert (answer.text, answer.finish_reason, answer.logprobs) == ("(C)", "length", (-0.1, -0.5))


def test_other_apis() -> None:
    completions = {"choices": [{"text": "B", "finish_reason": "stop", "logprobs": {"token_logprobs": [-0.2]}}]}
    assert read_answer("completions", json.dumps(completions).encode()).logprobs == (-0.2,)
    messages = {"content": [{"type": "thinking", "thinking": "x"}, {"type": "text", "text": "A"}], "stop_reason": "max_tokens"}
    assert (read_answer("messages", json.dumps(messages).encode()).text, "max_tokens") == ("A", "max_tokens")
    responses = {"output": [{"type": "message", "content": [{"type": "output_text", "text": "D"}]}],
                 "incomplete_details": {"reason": "max_output_tokens"}}
    answer = read_answer("responses", json.dumps(responses).encode())
    assert (answer.text, answer.finish_reason) == ("D", "max_output_tokens")


def test_unreadable_answers_are_no_answer() -> None:
    assert read_answer("chat", b"not json").text is None
    assert read_answer("chat", b"[1]").text is None
    assert read_answer("chat", b'{"choices": "x"}').text is None
