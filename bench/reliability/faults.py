"""Faults under load: the router killed (-9) or frozen (SIGSTOP), and a storm of policy writes.

A load of a few clients sends a prompt the router routes to a non-default model, so every
answer says who decided it: a routed answer carries ``x-router-decision``; a fail-open answer
comes from the default model without it. While the router is down only the latter may appear;
recovery is the time from restart (or SIGCONT) to the first routed answer.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import signal
import threading
import time
from dataclasses import dataclass

from bench.reliability.client import Answer, percentile, request
from bench.reliability.metrics import total
from bench.reliability.report import Row
from router_extproc.demo.stack import RouterProcess, Stack
from router_extproc.server.watcher import policy_version

CHAT = "/v1/chat/completions"
CODE_PROMPT = "Why does my python script raise KeyError?"
"""Routed to the large model by the default policy: distinguishable from the default route."""
GREETING = "hello, how are you?"
"""chit-chat: small in the shipped policy, large in the storm's variant B."""


@dataclass
class Sample:
    answer: Answer
    ended: float

    @property
    def routed(self) -> bool:
        """The model received the router's choice (the demo backend echoes what it got; the
        router's response headers alone would miss a router that died after deciding)."""
        try:
            return json.loads(self.answer.body)["received"]["selected_model_header"] is not None
        except (ValueError, KeyError, TypeError):
            return False

    @property
    def backend(self) -> str:
        return self.answer.headers.get("x-backend", "")


class Load:
    """``clients`` threads posting ``prompt`` at ``rate`` requests/s in all until stopped; every
    answer kept in order. Paced, so the load does not starve the router's restart of CPU on a
    small machine (the suite's clients and backends share it)."""

    def __init__(self, stack: Stack, prompt: str, clients: int = 3, rate: float = 100.0) -> None:
        self.stack = stack
        self.body = json.dumps({"model": "auto", "messages": [{"role": "user", "content": prompt}]}).encode()
        self.samples: list[Sample] = []
        self.interval = clients / rate
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"load-{i}") for i in range(clients)]

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            answer = request(self.stack.listener_port, "POST", CHAT, self.body, timeout=10)
            with self._lock:
                self.samples.append(Sample(answer, time.monotonic()))
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def wait_for(self, predicate, timeout: float = 15.0) -> Sample | None:
        """The first sample (from now on) that satisfies ``predicate``."""
        start = len(self.samples)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for sample in self.samples[start:]:
                    if predicate(sample):
                        return sample
            time.sleep(0.01)
        return None


def _down_window(load: Load, stack: Stack, since: float, until: float) -> tuple[int, int, int, float]:
    """Answers that arrived in [since, until) without a router decision: (from the default model,
    from another model, failed), and the p50 time of the default-model ones."""
    default = stack.policy.default_model
    window = [s for s in load.samples if since <= s.ended < until and not s.routed]
    fail_open = [s for s in window if s.backend == default and s.answer.status == 200]
    others = [s for s in window if s.backend and s.backend != default]
    failed = [s for s in window if s.answer.status != 200]
    return len(fail_open), len(others), len(failed), percentile([s.answer.seconds for s in fail_open], 0.5)


def _last_load_time(stack: Stack) -> str:
    """What the router logged for loading its policy and models (the rest of a start is Python
    and imports)."""
    if stack.router.log_path is None:
        return "?"
    lines = [line for line in stack.router.log_path.read_text(errors="replace").splitlines() if "loaded in" in line]
    return lines[-1].rsplit(" ", 1)[-1] if lines else "?"


def cold_starts(stack: Stack, starts: int) -> Row:
    """The router's start → healthy with no load on the gateway: what any restart costs at best
    (interpreter, imports, models), a second router process on its own ports."""
    times = []
    for _ in range(starts):
        router = RouterProcess(stack.policy_path)
        began = time.monotonic()
        try:
            router.start()
            times.append(time.monotonic() - began)
        finally:
            router.stop()
    times.sort()
    return Row("faults", "router start → healthy, no load (a restart's floor)", starts,
               f"median {times[len(times) // 2]:.2f} s (min {times[0]:.2f}, max {times[-1]:.2f})")


def kill_router(stack: Stack, down_seconds: float = 2.0) -> list[Row]:
    """kill -9 under load, restart after ``down_seconds``: who answered meanwhile, how fast back."""
    with Load(stack, CODE_PROMPT) as load:
        if load.wait_for(lambda s: s.routed) is None:
            return [Row("faults", "kill -9 router", 0, "never routed before the kill", "", False)]
        killed = time.monotonic()
        stack.router.proc.kill()
        stack.router.proc.wait()
        first_open = load.wait_for(lambda s: not s.routed and s.answer.status == 200)
        time.sleep(max(0.0, down_seconds - (time.monotonic() - killed)))
        restarted = time.monotonic()
        stack.router.start()
        healthy = time.monotonic()
        back = load.wait_for(lambda s: s.routed and s.answer.started >= restarted)
        time.sleep(0.3)
    if back is None:
        return [Row("faults", "kill -9 router under load", 0, "no routed answer after restart", "", False)]
    opened, others, failed, p50 = _down_window(load, stack, killed, back.ended)
    first = (first_open.ended - killed) * 1000 if first_open else float("nan")
    recovery = back.ended - restarted
    loaded = _last_load_time(stack)
    return [Row(
        "faults", "kill -9 router under load (100 req/s)", opened + others + failed,
        f"while down: {opened} answered by the default model (p50 {p50 * 1000:.0f} ms), {others} by another, "
        f"{failed} failed; first fail-open answer {first:.0f} ms after the kill; restart→healthy "
        f"{healthy - restarted:.2f} s (of which loading the models {loaded}), restart→first routed answer "
        f"{recovery:.2f} s",
        "only default-route answers while down, 0 failed, recovery ≤ 2 s",
        others == 0 and failed == 0 and opened > 0 and recovery <= 2.0,
        others == 0 and failed == 0 and opened > 0,
    )]


def stop_router(stack: Stack, stopped_seconds: float = 3.0) -> list[Row]:
    """SIGSTOP under load (the router hangs: Envoy's message_timeout, then fail-open), SIGCONT."""
    pid = stack.router.proc.pid
    with Load(stack, CODE_PROMPT) as load:
        if load.wait_for(lambda s: s.routed) is None:
            return [Row("faults", "SIGSTOP router", 0, "never routed before the stop", "", False)]
        stopped = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(stopped_seconds)
        finally:
            resumed = time.monotonic()
            os.kill(pid, signal.SIGCONT)
        back = load.wait_for(lambda s: s.routed and s.answer.started >= resumed)
        time.sleep(0.3)
    if back is None:
        return [Row("faults", "SIGSTOP router under load", 0, "no routed answer after SIGCONT", "", False)]
    opened, others, failed, p50 = _down_window(load, stack, stopped, back.ended)
    recovery = back.ended - resumed
    return [Row(
        "faults", f"SIGSTOP router {stopped_seconds:g} s under load (100 req/s)", opened + others + failed,
        f"while stopped: {opened} answered by the default model (p50 {p50 * 1000:.0f} ms: Envoy's 1 s "
        f"message_timeout), {others} by another, {failed} failed; SIGCONT→first routed answer {recovery:.2f} s",
        "only default-route answers while stopped, 0 failed, recovery ≤ 2 s",
        others == 0 and failed == 0 and opened > 0 and recovery <= 2.0,
        others == 0 and failed == 0 and opened > 0,
    )]


def _variant_b(text: str) -> str:
    return text.replace('when: {signal: "similarity:chit_chat"}\n    model: small',
                        'when: {signal: "similarity:chit_chat"}\n    model: large')


def _atomic_write(path: pathlib.Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _torn_write(path: pathlib.Path, text: str) -> None:
    """A careless writer: truncate, write half, pause, write the rest (a window where the file
    on disk is a cut-short policy)."""
    with path.open("w") as handle:
        handle.write(text[: len(text) // 2])
        handle.flush()
        time.sleep(0.05)
        handle.write(text[len(text) // 2:])


def reload_storm(stack: Stack, writes: int, seed: int = 5) -> list[Row]:
    """``writes`` policy rewrites under load: valid A/B, invalid, cut before ``decisions:``,
    half by rename, half in place (torn). No request may fail, no unaccepted version serve."""
    rng = random.Random(seed)
    path = stack.policy_path
    original = path.read_text()
    good = {policy_version(original): original, policy_version(_variant_b(original)): _variant_b(original)}
    bad = [original.replace("default_model: small", "default_model: nowhere"),
           original[: original.index("\ndecisions:")] + "\n", original + "\nnot_a_field: 1\n", "models: [\n"]
    kinds = {"valid": 0, "invalid": 0, "truncated": 0}
    metrics_before = stack.router.metrics()
    with Load(stack, GREETING) as load:
        load.wait_for(lambda s: s.routed)
        for i in range(writes):
            roll = rng.random()
            if roll < 0.5:
                text = rng.choice(list(good.values()))
                kinds["valid"] += 1
            elif roll < 0.75:
                text = bad[1]
                kinds["truncated"] += 1
            else:
                text = rng.choice([bad[0], bad[2], bad[3]])
                kinds["invalid"] += 1
            (_atomic_write if i % 2 == 0 else _torn_write)(path, text)
            time.sleep(rng.uniform(0.05, 1.0))  # some writes settle (debounce 0.5 s), some coalesce
        _atomic_write(path, original)  # end on the shipped policy: the flag must clear
        settled = load.wait_for(lambda s: s.answer.headers.get("x-router-policy") == policy_version(original)
                                and s.backend == "small")
        time.sleep(1.5)
    metrics = stack.router.metrics()
    served = {s.answer.headers.get("x-router-policy", "") for s in load.samples if s.routed}
    failed = sum(1 for s in load.samples if s.answer.status != 200)
    reloads = {r: total(metrics, "router_policy_reloads_total", result=r)
               - total(metrics_before, "router_policy_reloads_total", result=r) for r in ("success", "failure")}
    flag = total(metrics, "router_policy_last_reload_failed")
    unaccepted = served - set(good)
    return [Row(
        "faults", f"reload storm: {writes} writes ({kinds['valid']} valid, {kinds['invalid']} invalid, "
        f"{kinds['truncated']} cut before decisions:; half torn in place)", len(load.samples),
        f"{failed} failed requests; versions served {len(served)} (unaccepted {len(unaccepted)}); "
        f"reloads {reloads['success']:.0f} ok / {reloads['failure']:.0f} rejected; "
        f"failure flag after the final good write {flag:.0f}",
        "0 failed, only valid versions served, flag 0 at the end",
        failed == 0 and not unaccepted and flag == 0 and settled is not None,
    )]
