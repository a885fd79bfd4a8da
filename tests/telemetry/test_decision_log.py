"""Decision log lines: fields, no prompt text, keyed hash, rotation."""

from __future__ import annotations

import json
import logging.handlers

from router_extproc.endpoints.usage import Usage
from router_extproc.signals.base import SignalResult
from router_extproc.telemetry import DecisionLog, RequestRecord


def _record(**overrides) -> RequestRecord:
    record = RequestRecord(request_id="r-1", endpoint="chat", decision="code", model="large", reason="rule",
                           policy_version="abc123", status=200, router_seconds=0.0012, ttfb_seconds=0.2,
                           usage=Usage(40, 20), cost_usd=0.00012, requested_model="auto")
    record.signals = {
        "pii": SignalResult("pii", True, 1.0, labels=frozenset({"EMAIL"})),
        "keyword:code": SignalResult("keyword:code", True, 1.0),
        "_privacy_pii": SignalResult("_privacy_pii", False),
    }
    for key, value in overrides.items():
        setattr(record, key, value)
    return record


def test_line_fields_and_no_hash_without_key(tmp_path) -> None:
    log = DecisionLog.open(str(tmp_path / "d.jsonl"))
    assert log.prompt_hash(["my secret"]) is None
    log.write(_record())
    log.write(_record(endpoint=None))  # pass-through streams are not logged
    log.close()
    (line,) = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert line["decision"] == "code" and line["model"] == "large" and line["outcome"] == "ok"
    assert line["prompt_tokens"] == 40 and line["completion_tokens"] == 20 and line["cost_usd"] == 0.00012
    assert line["router_ms"] == 1.2 and line["ttfb_ms"] == 200.0
    assert line["signals"]["pii"] == {"score": 1.0, "matched": True, "labels": ["EMAIL"]}
    assert "labels" not in line["signals"]["keyword:code"]
    assert "_privacy_pii" not in line["signals"]
    assert line["ts"].endswith("+00:00")


def test_keyed_hash_is_stable_per_key_and_reveals_nothing(tmp_path) -> None:
    a = DecisionLog(logging.NullHandler(), key=b"k1")
    b = DecisionLog(logging.NullHandler(), key=b"k2")
    assert a.prompt_hash(["hello", "world"]) == a.prompt_hash(["hello", "world"])
    assert a.prompt_hash(["hello", "world"]) != a.prompt_hash(["helloworld"])  # message boundaries count
    assert a.prompt_hash(["hello"]) != b.prompt_hash(["hello"])
    assert len(a.prompt_hash(["hello"])) == 32
    a.close()
    b.close()


def test_file_rotates(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    log = DecisionLog(logging.handlers.RotatingFileHandler(path, maxBytes=2000, backupCount=2))
    for _ in range(30):
        log.write(_record())
    log.close()
    assert (tmp_path / "d.jsonl.1").exists()
    assert all(json.loads(x)["request_id"] == "r-1" for x in path.read_text().splitlines())


def test_telemetry_hashes_only_with_a_keyed_log() -> None:
    from router_extproc.telemetry import Telemetry

    keyed = DecisionLog(logging.NullHandler(), key=b"k1")
    assert Telemetry(decision_log=keyed).prompt_hash(["hi"]) == keyed.prompt_hash(["hi"]) is not None
    unkeyed = DecisionLog(logging.NullHandler())
    assert Telemetry(decision_log=unkeyed).prompt_hash(["hi"]) is None
    assert Telemetry().prompt_hash(["hi"]) is None
    keyed.close()
    unkeyed.close()
