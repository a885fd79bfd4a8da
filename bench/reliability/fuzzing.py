"""Fuzzing through Envoy: every body class, counted per class.

Each class is sent on its own (a few keep-alive clients), so the router's error-path counter
can be read per class before and after. A row says, for its class: answers by status family,
answers an OpenAI client cannot read, requests on the router's error path (a bug), requests
whose work overran the router's deadline (answered by the router with the default model: the
designed outcome for huge bodies on a busy machine, not a bug), requests never answered,
answers a model gave without the router (Envoy's ``message_timeout`` passed: the
request failed open to the default model), p99 latency; and whether the router or Envoy died.
"""

from __future__ import annotations

from collections import defaultdict

from bench.reliability.bodies import Body, generate
from bench.reliability.client import Answer, Workers, openai_shaped, percentile
from bench.reliability.metrics import fail_safe
from bench.reliability.report import Row
from router_extproc.demo.stack import Stack

PATHS = {"chat": "/v1/chat/completions", "completions": "/v1/completions"}


def _crashed(stack: Stack) -> int:
    """Processes found dead (restarted, so the run goes on and the count stays honest)."""
    dead = 0
    if stack.router.proc is not None and stack.router.proc.poll() is not None:
        dead += 1
        stack.router.start()
    if stack.envoy.proc is not None and stack.envoy.proc.poll() is not None:
        dead += 1
        stack.envoy.start()
    return dead


def run(stack: Stack, count: int, seed: int = 13, large: int = 4, clients: int = 4,
        required: int = 10_000) -> list[Row]:
    """``count`` bodies (plus ``large`` near and over the size limit); the summary row is met
    with at least ``required`` bodies and no crash, unanswered request or error-path entry."""
    bodies = list(generate(count, seed, large_bodies=large, limit=stack.policy.limits.max_body_bytes))
    by_kind: dict[str, list[Body]] = defaultdict(list)
    for body in bodies:
        by_kind[body.kind].append(body)
    rows: list[Row] = []
    totals = defaultdict(int)
    for kind, items in by_kind.items():
        answers: list[Answer | None] = [None] * len(items)

        def keep(index: int, answer: Answer, answers: list[Answer | None] = answers) -> None:
            answers[index] = answer

        errors_before, overran_before = fail_safe(stack.router)
        jobs = [("POST", PATHS[b.endpoint], b.data, None) for b in items]
        Workers(stack.listener_port, clients).run(jobs, keep)
        crashes = _crashed(stack)
        errors, overran = fail_safe(stack.router)
        errors, overran = errors - errors_before, overran - overran_before
        done = [a for a in answers if a is not None]
        counts = {
            "2xx": sum(1 for a in done if a.status and 200 <= a.status < 300),
            "4xx": sum(1 for a in done if a.status and 400 <= a.status < 500),
            "5xx": sum(1 for a in done if a.status and a.status >= 500),
            "non-OpenAI": sum(1 for a in done if a.status is not None and not openai_shaped(a)),
            "unanswered": sum(1 for a in done if a.status is None),
            # a model answered without the router's headers: Envoy gave up waiting (message_timeout)
            "failed open": sum(1 for a in done if "x-backend" in a.headers and "x-router-decision" not in a.headers),
        }
        p99 = percentile([a.seconds * 1000 for a in done if a.status is not None], 0.99)
        for key, value in counts.items():
            totals[key] += value
        totals["error path"] += int(errors)
        totals["past deadline"] += int(overran)
        totals["crashes"] += crashes
        totals["n"] += len(items)
        clean = counts["5xx"] == counts["non-OpenAI"] == counts["unanswered"] == crashes == 0 and errors == 0
        rows.append(Row(
            "fuzzing", kind, len(items),
            f"2xx {counts['2xx']}, 4xx {counts['4xx']}, 5xx {counts['5xx']}, non-OpenAI {counts['non-OpenAI']}, "
            f"error path {int(errors)}, unanswered {counts['unanswered']}, crashes {crashes}, "
            f"past deadline {int(overran)}, failed open {counts['failed open']}, p99 {p99:.0f} ms",
            "0 5xx, non-OpenAI, error path, unanswered, crashes", clean,
        ))
    rows.append(Row(
        "fuzzing", "all classes", totals["n"],
        f"crashes {totals['crashes']}, unanswered {totals['unanswered']}, error path {totals['error path']}, "
        f"5xx {totals['5xx']}, non-OpenAI {totals['non-OpenAI']}, past deadline {totals['past deadline']}, "
        f"failed open {totals['failed open']}",
        f"≥ {required} bodies: 0 crashes, 0 unanswered, 0 on the error path",
        totals["crashes"] == totals["unanswered"] == totals["error path"] == 0 and totals["n"] >= required,
    ))
    return rows
