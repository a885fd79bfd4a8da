"""Evaluate a policy ``Rule`` (all / any / not / signal) against signal results."""

from __future__ import annotations

from collections.abc import Mapping

from router_extproc.policy.spec import Rule
from router_extproc.signals.base import SignalResult


def evaluate_rule(rule: Rule, results: Mapping[str, SignalResult]) -> bool:
    """True when the rule holds; a signal with no result (not computed, failed) is false."""
    if rule.signal is not None:
        result = results.get(rule.signal)
        if result is None:
            return False
        if rule.is_ is None and rule.gte is None and rule.lte is None:
            return result.matched
        return (
            (rule.is_ is None or not result.labels.isdisjoint(rule.is_))
            and (rule.gte is None or result.score >= rule.gte)
            and (rule.lte is None or result.score <= rule.lte)
        )
    if rule.all is not None:
        return all(evaluate_rule(r, results) for r in rule.all)
    if rule.any is not None:
        return any(evaluate_rule(r, results) for r in rule.any)
    assert rule.not_ is not None
    return not evaluate_rule(rule.not_, results)
