"""Selection strategies: which of a decision's candidate models serves the request.

- ``static``: the first candidate.
- ``strong_weak`` (RouteLLM): candidates ``[weak, strong]``; the strong model when the
  ``difficulty`` signal reaches ``difficulty_threshold`` (or is missing: fail to strong).
- ``cheapest_capable``: candidates by blended price, the first whose predicted quality for
  this prompt clears ``quality_threshold``; else the best predicted (fail to quality).
  Predicted quality is the model's expected accuracy from the difficulty memory when the model
  names an ``outcome_model``, else its policy ``quality`` for the prompt's domain.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..policy.models import Decision, Policy
from ..signals.base import SignalResult


def predicted_quality(policy: Policy, model: str, results: Mapping[str, SignalResult]) -> float | None:
    spec = policy.models[model]
    difficulty = results.get("difficulty")
    if spec.outcome_model and difficulty is not None and difficulty.details:
        value = difficulty.details.get("expected_accuracy", {}).get(spec.outcome_model)
        if value is not None:
            return float(value)
    if spec.quality:
        domain = results.get("domain")
        label = next(iter(domain.labels), None) if domain is not None else None
        return spec.quality.get(label or "default", spec.quality.get("default"))
    return None


def select_model(decision: Decision, policy: Policy, results: Mapping[str, SignalResult]) -> str:
    candidates = decision.models
    if decision.strategy == "static" or len(candidates) == 1:
        return candidates[0]
    if decision.strategy == "strong_weak":
        weak, strong = candidates
        difficulty = results.get("difficulty")
        if difficulty is None or difficulty.error:
            return strong
        return strong if difficulty.score >= decision.difficulty_threshold else weak
    by_price = sorted(candidates, key=lambda m: policy.models[m].price)
    predictions = {m: predicted_quality(policy, m, results) for m in by_price}
    for model in by_price:
        quality = predictions[model]
        if quality is not None and quality >= decision.quality_threshold:
            return model
    known = {m: q for m, q in predictions.items() if q is not None}
    if not known:
        return by_price[-1]
    return max(known, key=lambda m: (known[m], policy.models[m].price))
