"""The router's own deadline: past it, unfinished signals count as failed (gates follow on_error,
the request is private), adversarial bodies end up on a local model, and an overrunning worker
thread still gets an answer to Envoy from the adapter (the local default), never a fail-open."""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import pytest
import yaml

from router_extproc.deadline import Deadline
from router_extproc.endpoints import spec
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc
from router_extproc.policy import parse_policy
from router_extproc.routing.plan import Planner
from router_extproc.routing.router import Router
from router_extproc.server.lifecycle import RouterServer, ServerSettings
from router_extproc.server.state import RouterState
from router_extproc.signals import default_artifacts
from tests.helpers import exchange, request_body_msg, request_headers_msg, set_headers

POLICY = {
    "name": "deadline", "default_model": "local", "limits": {"decision_ms": 300},
    "models": {"local": {"provider_model_id": "l", "privacy": "local", "cost": {"input_per_1m": 0, "output_per_1m": 0},
                         "context_window": 100_000_000},
               "frontier": {"provider_model_id": "f", "privacy": "external",
                            "cost": {"input_per_1m": 1, "output_per_1m": 1}, "context_window": 100_000_000}},
    "signals": {"pii": {"on_error": "allow"}, "jailbreak": {"on_error": "allow"}},
    "decisions": [{"name": "jailbreak", "priority": 10, "when": {"signal": "jailbreak"},
                   "block": {"status": 403, "code": "prompt_injection_detected"}},
                  {"name": "out", "when": {"not": {"signal": "pii"}}, "model": "frontier"}],
}


@pytest.fixture(scope="module")
def planner() -> Planner:
    return Planner(Router(parse_policy(yaml.safe_dump(POLICY)), artifacts=default_artifacts()))


def body(text: str) -> bytes:
    return json.dumps({"model": "auto", "messages": [{"role": "user", "content": text}]}).encode()


def test_a_passed_deadline_makes_gates_follow_on_error_and_the_request_private(planner) -> None:
    plan = planner.plan(spec("chat"), body("hello there"), {}, deadline=Deadline(0))
    assert plan.refusal is None and plan.outcome is not None
    signals = plan.outcome.signals
    assert "pii" in signals and signals["pii"].error and "deadline" in signals["pii"].error
    assert plan.outcome.model.privacy == "local" and plan.outcome.choice.reason == "privacy"
    normal = planner.plan(spec("chat"), body("hello there"), {})
    assert normal.outcome is not None and normal.outcome.choice.model == "frontier"


@pytest.mark.parametrize("adversarial", [
    "1-2 3.4/5 " * 300_000,  # ~3 MB of digit-and-separator soup
    " ".join(f"user{i}@example.com" for i in range(60_000)),  # 60k e-mails
    "phone: +1 " + "1 " * 100_000,  # the 200 KB phone string
])
def test_adversarial_bodies_are_decided_and_never_external_unless_cleared(planner, adversarial: str) -> None:
    plan = planner.plan(spec("chat"), body(adversarial), {})
    assert plan.refusal is None and plan.outcome is not None and plan.failed_safe is None
    pii = plan.outcome.signals.get("pii")
    if pii is None or pii.error or pii.labels:  # not scanned in full, or PII: never the external model
        assert plan.outcome.model.privacy == "local"
    else:  # scanned in full and clean (the phone bait holds no phone): routed by the rules
        assert plan.outcome.choice.model == "frontier"


async def test_an_overrunning_worker_still_gets_envoy_a_local_answer_in_time(monkeypatch) -> None:
    router = Router(parse_policy(yaml.safe_dump(POLICY)), artifacts=default_artifacts())
    server = RouterServer(ServerSettings(port=0, grace_seconds=1), RouterState(router))
    await server.start()

    def stuck(self, request, headers=None, deadline=None):
        time.sleep(2.0)  # a worker that ignores its deadline (cannot be interrupted from outside)
        raise AssertionError("never used")

    monkeypatch.setattr(Router, "route", stuck)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.bound_port}") as channel:
            stub = pb_grpc.ExternalProcessorStub(channel)
            started = asyncio.get_running_loop().time()
            _, reply = await exchange(stub, request_headers_msg(), request_body_msg(body("hello")))
            waited = asyncio.get_running_loop().time() - started
        assert set_headers(reply.request_body.response.header_mutation)["x-selected-model"] == "local"
        assert waited < 2.0  # answered by the adapter, not by the stuck worker
    finally:
        await server.stop()
