from __future__ import annotations

import asyncio
import pathlib

import pytest

from router_extproc.policy import PolicyError, load_policy, parse_policy
from router_extproc.routing.router import Router
from router_extproc.server.state import RouterState
from router_extproc.server.watcher import PolicyWatcher, policy_version
from router_extproc.signals import default_artifacts
from tests.conftest import DEFAULT_POLICY


def _watcher(tmp_path: pathlib.Path) -> tuple[PolicyWatcher, pathlib.Path]:
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY.read_text())
    router = Router(load_policy(path), version=policy_version(path.read_text()), artifacts=default_artifacts())
    return PolicyWatcher(path, RouterState(router, str(path)), default_artifacts(), interval=0.05, debounce=0.05), path


def test_invalid_policy_keeps_the_last_good_one(tmp_path) -> None:
    watcher, path = _watcher(tmp_path)
    before = watcher.state.current()
    path.write_text("name: broken\nmodels: {}\n")
    assert watcher.reload() is False
    assert watcher.state.current() is before
    assert watcher.state.status.reloads_failed == 1
    assert "default_model" in watcher.state.status.last_error
    path.write_text(DEFAULT_POLICY.read_text().replace("threshold: 0.75", "threshold: 0.8"))
    assert watcher.reload() is True
    assert watcher.state.current() is not before
    assert watcher.state.status.reloads_ok == 1 and watcher.state.status.last_error is None


def test_unchanged_content_does_not_rebuild(tmp_path) -> None:
    watcher, path = _watcher(tmp_path)
    before = watcher.state.current()
    path.touch()
    assert watcher.reload() is True
    assert watcher.state.current() is before


async def test_polling_picks_up_a_change_after_debounce(tmp_path) -> None:
    watcher, path = _watcher(tmp_path)
    before = watcher.state.current()
    watcher.start()
    try:
        path.write_text(DEFAULT_POLICY.read_text().replace("threshold: 0.75", "threshold: 0.7"))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if watcher.state.current() is not before:
                break
        assert watcher.state.current() is not before
    finally:
        await watcher.stop()


def test_a_model_envoy_cannot_route_to_is_rejected(tmp_path) -> None:
    watcher, path = _watcher(tmp_path)
    text = DEFAULT_POLICY.read_text()
    extra = text.replace("\nmodels:\n", "\nmodels:\n  brand-new:\n    provider_model_id: new\n"
                         "    cost: {input_per_1m: 0.1, output_per_1m: 0.1}\n    privacy: local\n", 1)
    assert extra != text
    path.write_text(extra)
    assert watcher.reload() is False
    assert "no Envoy route" in watcher.state.status.last_error
    path.write_text(text.replace("default_model: small", "default_model: large", 1))
    assert watcher.reload() is False
    assert "default_model changed" in watcher.state.status.last_error


def test_writing_back_the_file_in_force_clears_the_failure(tmp_path) -> None:
    watcher, path = _watcher(tmp_path)
    good = path.read_text()
    path.write_text("name: broken\n")
    assert watcher.reload() is False and watcher.state.status.last_error
    path.write_text(good)  # same content, same version: nothing to rebuild, but nothing failing either
    assert watcher.reload() is True
    assert watcher.state.status.last_error is None


def test_a_file_cut_short_cannot_drop_the_gates(tmp_path) -> None:
    watcher, path = _watcher(tmp_path)
    before = watcher.state.current()
    text = path.read_text()
    truncated = text[: text.index("\ndecisions:")] + "\n"  # still a valid policy: no decisions at all
    path.write_text(truncated)
    assert watcher.reload() is False
    assert watcher.state.current() is before
    error = watcher.state.status.last_error
    assert "decision:jailbreak" in error and "allow_removal" in error


def test_listed_removals_are_applied(tmp_path) -> None:
    watcher, path = _watcher(tmp_path)
    text = path.read_text()
    start = text.index("  - name: chit-chat")
    end = text.index("  - name: long-context")
    without = text[:start] + text[end:]
    path.write_text(without)
    assert watcher.reload() is False
    assert "decision:chit-chat" in watcher.state.status.last_error
    path.write_text(without + "allow_removal: ['decision:chit-chat']\n")
    assert watcher.reload() is True
    assert [d.name for d in watcher.state.current().policy.decisions if d.name == "chit-chat"] == []


def test_allow_removal_entries_are_validated() -> None:
    with pytest.raises(PolicyError, match="allow_removal"):
        parse_policy(DEFAULT_POLICY.read_text() + "allow_removal: [jailbreak]\n")
