"""Each shipped example policy routes a table of prompts as documented, through the real Envoy."""

from __future__ import annotations

import pytest

from router_extproc.demo.stack import running_stack
from router_extproc.training import data
from router_extproc.training.train_difficulty import question_text
from tests.conftest import REPO
from tests.helpers import chat, http_request

pytestmark = pytest.mark.e2e
CHAT = "/v1/chat/completions"


def mmlu_dev(question_id: int) -> str:
    """A dev question by id, read from ../shared/data (not copied into the repo)."""
    if not (data.DEFAULT_DATA_DIR / "mmlu_pro_routing").is_dir():
        pytest.skip("shared data not available")
    rows = {r["question_id"]: r for r in data.mmlu_pro(data.DEFAULT_DATA_DIR, "dev")}
    return question_text(rows[question_id])


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    opened = {}
    contexts = []
    yield lambda name: opened.get(name) or opened.setdefault(name, _open(name, contexts, tmp_path_factory))
    for context in reversed(contexts):
        context.__exit__(None, None, None)


def _open(name, contexts, tmp_path_factory):
    context = running_stack(REPO / "policies" / f"{name}.yaml", log_dir=tmp_path_factory.mktemp(name))
    contexts.append(context)
    return context.__enter__()


def _route(stack, prompt: str, model: str = "auto", headers=None):
    reply = http_request(stack.url + CHAT, body=chat(prompt, model=model), headers=headers)
    received = stack.backends[reply.headers["x-backend"]].requests[-1] if reply.status == 200 else None
    return reply, received


@pytest.mark.parametrize(
    ("prompt", "model", "decision", "thinking"),
    [
        ("hello, how are you?", "small", "chit-chat", False),
        (8750, "reasoning", "hard-science", True),
        (8106, "large", "hard-science", None),  # domain below the 0.6 floor: the fallback model
        (8504, "small", "tiered", None),
    ],
)
def test_cost_tiering(stacks, prompt, model: str, decision: str, thinking) -> None:
    stack = stacks("cost-tiering")
    text = mmlu_dev(prompt) if isinstance(prompt, int) else prompt
    reply, received = _route(stack, text)
    assert (reply.headers["x-backend"], reply.headers["x-router-decision"]) == (model, decision)
    if thinking is not None:
        assert received["body"]["chat_template_kwargs"]["enable_thinking"] is thinking
    if prompt == 8106:
        assert reply.headers["x-router-reason"] == "low_confidence"


def test_cost_tiering_keeps_a_clients_own_thinking_switch(stacks) -> None:
    stack = stacks("cost-tiering")
    body = chat(mmlu_dev(8750), chat_template_kwargs={"enable_thinking": False})
    reply = http_request(stack.url + CHAT, body=body)
    assert reply.headers["x-backend"] == "reasoning"
    assert stack.backends["reasoning"].requests[-1]["body"]["chat_template_kwargs"]["enable_thinking"] is False


def test_privacy_policy(stacks) -> None:
    stack = stacks("privacy")
    reply, received = _route(stack, "What is the capital of Peru?")
    assert (reply.headers["x-backend"], reply.headers["x-router-decision"]) == ("frontier", "frontier")
    assert received["body"]["reasoning_effort"] == "low"
    assert received["headers"]["x-gateway-route"] == "frontier"

    reply, received = _route(stack, "My card 4111 1111 1111 1111 was charged twice, what do I do?")
    assert (reply.headers["x-backend"], reply.headers["x-router-decision"]) == ("local", "private-data")

    reply, received = _route(stack, "Where is my order? Reach me at jane.doe@example.com or +1 (555) 123-4567.")
    assert (reply.headers["x-backend"], reply.headers["x-router-decision"]) == ("frontier", "support-redacted")
    messages = received["body"]["messages"]
    assert messages[0]["role"] == "system" and "placeholders" in messages[0]["content"]
    assert messages[1]["content"] == "Where is my order? Reach me at [EMAIL] or [PHONE]."

    reply, _ = _route(stack, "What is the capital of Peru?", headers={"x-tenant-tier": "private"})
    assert (reply.headers["x-backend"], reply.headers["x-router-reason"]) == ("local", "privacy")

    reply, _ = _route(stack, "Charge 4111 1111 1111 1111 please", model="frontier")
    assert (reply.headers["x-backend"], reply.headers["x-router-reason"]) == ("local", "privacy")


@pytest.mark.parametrize(
    ("prompt", "model"),
    [
        ("What is the capital of Peru?", "general"),
        ("Find all real x with x^3 - 6x^2 + 11x - 6 = 0", "math"),
        ("Is a verbal contract for the sale of land enforceable under the statute of frauds?", "law"),
        ("Why does my python list comprehension raise TypeError?", "code"),
    ],
)
def test_specialists(stacks, prompt: str, model: str) -> None:
    reply, received = _route(stacks("specialists"), prompt)
    assert reply.headers["x-backend"] == model
    if model == "math":
        assert received["body"]["messages"][0]["content"].startswith("Reason step by step")


def _answer_with(stack, **texts: str) -> None:
    from router_extproc.demo.backend import Behaviour

    for name, backend in stack.backends.items():
        backend.behaviour = Behaviour(text=texts.get(name))


@pytest.mark.parametrize(("second", "served", "outcome"), [
    ("The answer is (B).", "llama-8b", "kept:agree"),
    ("The answer is (D).", "llama-70b", "escalated:disagree"),
])
def test_cascade_policy(stacks, second: str, served: str, outcome: str) -> None:
    stack = stacks("cascade")
    _answer_with(stack, **{"llama-8b": "Step by step... the answer is (B).", "phi-3-mini": second,
                           "llama-70b": "The answer is (B)."})
    strong_before = stack.backends["llama-70b"].seen
    reply, _ = _route(stack, mmlu_dev(77))
    assert reply.status == 200
    assert (reply.headers["x-router-model"], reply.headers["x-router-cascade-outcome"]) == (served, outcome)
    assert stack.backends["phi-3-mini"].requests[-1]["model"] == "microsoft/Phi-3-mini-4k-instruct"
    assert (stack.backends["llama-70b"].seen > strong_before) == (served == "llama-70b")
    if served == "llama-70b":
        assert stack.backends["llama-70b"].requests[-1]["model"] == "meta-llama/Llama-3.1-70B-Instruct"
    _answer_with(stack)


def test_fleet_cascades_closed_form_questions_and_keeps_private_ones_local(stacks) -> None:
    stack = stacks("fleet")
    _answer_with(stack, **{"gemini-flash": "The answer is (B).", "deepseek-coder": "The answer is (B)."})
    reply, _ = _route(stack, mmlu_dev(77))
    assert reply.headers["x-router-decision"] == "closed-form-cascade"
    assert (reply.headers["x-router-model"], reply.headers["x-router-cascade-outcome"]) == ("gemini-flash", "kept:agree")
    external = {n: b.seen for n, b in stack.backends.items() if stack.policy.models[n].privacy == "external"}
    reply, _ = _route(stack, mmlu_dev(77) + "\nMy e-mail is jane.doe@corp-mail.com.")
    assert reply.status == 200
    assert stack.policy.models[reply.headers["x-router-model"]].privacy == "local"
    assert "x-router-cascade-outcome" not in reply.headers
    assert {n: stack.backends[n].seen for n in external} == external
    _answer_with(stack)
