"""Policy hot reload through the real Envoy, with a ConfigMap-style ``..data`` symlink swap."""

from __future__ import annotations

import os
import pathlib
import threading
import time

import pytest

from router_extproc.demo.stack import running_stack
from tests.conftest import DEFAULT_POLICY
from tests.helpers import chat, http_request

pytestmark = pytest.mark.e2e


def publish(configmap: pathlib.Path, text: str, generation: int) -> None:
    """What the kubelet does: write a new timestamped dir, then atomically swap ``..data``."""
    target = configmap / f"..gen_{generation}"
    target.mkdir()
    (target / "policy.yaml").write_text(text)
    tmp_link = configmap / "..data_tmp"
    tmp_link.symlink_to(target.name)
    os.replace(tmp_link, configmap / "..data")
    if not (configmap / "policy.yaml").is_symlink():
        (configmap / "policy.yaml").symlink_to("..data/policy.yaml")


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_reload_under_load_switches_routing_with_zero_failures(tmp_path: pathlib.Path) -> None:
    configmap = tmp_path / "policy"
    configmap.mkdir()
    original = DEFAULT_POLICY.read_text()
    publish(configmap, original, 1)
    changed = original.replace('when: {signal: "similarity:chit_chat"}\n    model: small',
                               'when: {signal: "similarity:chit_chat"}\n    model: large')
    assert changed != original
    with running_stack(configmap / "policy.yaml", log_dir=tmp_path,
                       router_args=("--watch-interval", "0.2")) as stack:
        seen: list[tuple[int, str, str]] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                reply = http_request(stack.url + "/v1/chat/completions", body=chat("hello, how are you?"))
                seen.append((reply.status, reply.headers.get("x-backend", ""), reply.headers.get("x-router-policy", "")))

        worker = threading.Thread(target=load)
        worker.start()
        try:
            assert wait_for(lambda: len(seen) > 20)
            publish(configmap, changed, 2)
            assert wait_for(lambda: seen and seen[-1][1] == "large"), "routing never switched"
            count = len(seen)
            assert wait_for(lambda: len(seen) > count + 20)
            # an invalid policy is rejected and the last good one stays in force
            publish(configmap, changed.replace("default_model: small", "default_model: nowhere"), 3)
            time.sleep(1.5)
            count = len(seen)
            assert wait_for(lambda: len(seen) > count + 20)
        finally:
            stop.set()
            worker.join(10)
        statuses = {s for s, _, _ in seen}
        assert statuses == {200}, f"failed requests during reload: {[s for s in seen if s[0] != 200][:5]}"
        backends = [b for _, b, _ in seen]
        assert backends[0] == "small" and backends[-1] == "large"
        first_large = backends.index("large")
        assert set(backends[first_large:]) == {"large"}, "routing flapped back after the reload"
        assert len({v for _, _, v in seen}) == 2  # two policy versions served, not three
        log = (tmp_path / "router.log").read_text()
        assert "policy reloaded" in log
        assert "policy reload rejected" in log and "default_model 'nowhere'" in log
