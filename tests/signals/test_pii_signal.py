"""The ``pii`` signal over whole messages: obfuscation tricks exposed, unscannable text fails closed."""

from __future__ import annotations

import yaml

from router_extproc.decision.privacy import UNKNOWN_PII, privacy_state
from router_extproc.policy import parse_policy
from router_extproc.signals.pii import PiiScanner
from tests.policy.test_loader import MINIMAL


def test_tricks_are_exposed(view) -> None:
    result = PiiScanner(["EMAIL", "US_SSN"]).evaluate(view("mail ｊａｎｅ＠ｃｏｒｐ．ｃｏｍ", "ssn 5 3 6 - 2 2 - 1 2 3 4"))
    assert result.matched and result.labels == {"EMAIL", "US_SSN"} and result.error is None
    assert result.details["tricks"] == ["compatibility_forms", "spaced_digits"]
    assert [s["path"] for s in result.details["spans"]] == ["messages/0/content", "messages/1/content"]


def test_pii_past_the_old_head_and_tail_window_is_found(view) -> None:
    text = "lorem ipsum " * 20_000 + "my card is 4111 1111 1111 1111 " + "dolor sit " * 20_000
    result = PiiScanner(["CREDIT_CARD"]).evaluate(view(text))
    assert result.labels == {"CREDIT_CARD"} and result.error is None


def test_unscannable_message_is_an_error_that_keeps_the_request_private(view) -> None:
    scanner = PiiScanner(["EMAIL"])
    scanner._detector.max_candidates = 10
    result = scanner.evaluate(view("hello", " ".join(f"u{i}@example.com" for i in range(50))))
    assert result.matched and result.error and result.error.startswith("unscannable: ")
    assert result.labels == {"EMAIL"} and result.details["limits"]
    policy = parse_policy(yaml.safe_dump(MINIMAL))
    assert privacy_state(policy, result, {}).pii_types == {UNKNOWN_PII}
