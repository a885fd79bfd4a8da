from __future__ import annotations

import json

import yaml

from router_extproc.endpoints import parse_request
from router_extproc.policy import parse_policy
from router_extproc.signals import SignalEngine
from tests.policy.test_loader import MINIMAL


def _engine(models, **signals) -> SignalEngine:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["signals"].update(signals)
    return SignalEngine(parse_policy(yaml.safe_dump(data)).signals, models)


def _request(text: str):
    return parse_request("chat", json.dumps({"model": "auto", "messages": [{"role": "user", "content": text}]}).encode())


def test_failing_gate_reports_its_on_error_choice(models, monkeypatch) -> None:
    blocking = _engine(models, jailbreak={"on_error": "block"}, pii={"on_error": "allow"}, domain={})
    for signal in blocking.signals:
        if signal.ref in ("jailbreak", "pii", "domain"):
            monkeypatch.setattr(signal, "evaluate", lambda view: 1 / 0)
    results = blocking.compute(blocking.view(_request("hello")))
    assert results["jailbreak"].matched and results["jailbreak"].error
    assert not results["pii"].matched and results["pii"].error
    assert "domain" not in results  # an ordinary signal that fails does not decide
    assert results["keyword:code"].latency_ms >= 0


def test_every_result_has_a_latency(models) -> None:
    engine = _engine(models, domain={}, difficulty={}, jailbreak={}, pii={}, modality={}, language={})
    results = engine.compute(engine.view(_request("What is 2 + 2?")))
    assert set(results) == {"keyword:code", "domain", "difficulty", "jailbreak", "pii", "modality", "language"}
    assert all(r.latency_ms > 0 for r in results.values())
