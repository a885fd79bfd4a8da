"""Selection strategies: which of a decision's candidate models serves the request.

- ``static``: the first candidate.
- ``strong_weak`` (RouteLLM): candidates ``[weak, strong]``; the strong model when the
  ``difficulty`` signal reaches the strategy's ``threshold`` (or is missing: fail to strong).
- ``cascade``: ``[cheap, second_opinion, strong]``; the model chosen here is the one a request
  gets without answers to compare (``decision/cascade.py``); the cascade itself runs in routing.
- ``cheapest_capable``: candidates by expected cost per answer (``expected_cost``: price ×
  the prompt's tokens and each model's expected answer length), the first whose predicted
  quality for this prompt clears ``quality_threshold``; else the best predicted (fail to quality).
  Predicted quality: see ``predicted_quality`` (neighbours' outcomes shrunk towards the
  policy's per-domain quality).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from statistics import median

from router_extproc.decision import cascade as cascade_logic
from router_extproc.policy.spec import (
    CascadeStrategy,
    CheapestCapableStrategy,
    Decision,
    Policy,
    StaticStrategy,
    StrongWeakStrategy,
)
from router_extproc.signals.base import SignalResult

PRIOR_WEIGHT = 4.0
"""How many units of neighbour weight (sim^2) the prior is worth when both are known."""


def predicted_quality(policy: Policy, model: str, results: Mapping[str, SignalResult]) -> float | None:
    """The model's expected quality on this prompt.

    Prior: the policy's ``quality`` for the prompt's domain (else its ``default``), else the
    model's overall accuracy in the difficulty memory. Evidence: the accuracy of the nearest
    memory questions (via ``outcome_model``), weighted by similarity and shrunk towards the prior.
    """
    spec = policy.models[model]
    prior = None
    if spec.quality:
        domain = results.get("domain")
        label = next(iter(domain.labels), None) if domain is not None else None
        prior = spec.quality.get(label or "default", spec.quality.get("default"))
    difficulty = results.get("difficulty")
    neighbours = (difficulty.details or {}).get("neighbours", {}) if difficulty is not None else {}
    if spec.outcome_model and spec.outcome_model in neighbours:
        hits, weight, overall = neighbours[spec.outcome_model]
        base = overall if prior is None else prior
        return (hits + PRIOR_WEIGHT * base) / (weight + PRIOR_WEIGHT)
    return prior


def static(decision: Decision, strategy: StaticStrategy, policy: Policy, results: Mapping[str, SignalResult]) -> str:
    return decision.models[0]


def strong_weak(decision: Decision, strategy: StrongWeakStrategy, policy: Policy,
                results: Mapping[str, SignalResult]) -> str:
    weak, strong = decision.models
    difficulty = results.get("difficulty")
    if difficulty is None or difficulty.error:
        return strong
    return strong if difficulty.score >= strategy.threshold else weak


DEFAULT_PROMPT_TOKENS = 768
DEFAULT_OUTPUT_TOKENS = 256
"""Without the difficulty signal's estimates, expected cost falls back to these (3:1, the blended price)."""


def expected_cost(policy: Policy, model: str, results: Mapping[str, SignalResult]) -> float:
    """USD per answer: prompt tokens × input price + expected answer tokens × output price. Answer
    length: the memory's estimate for the model (its nearest questions), else the policy's
    ``expected_output_tokens``, else the memory's median over all its models for this prompt."""
    spec = policy.models[model]
    difficulty = results.get("difficulty")
    details = (difficulty.details or {}) if difficulty is not None and not difficulty.error else {}
    lengths: dict[str, float] = details.get("output_tokens", {})
    prompt = details.get("prompt_tokens", DEFAULT_PROMPT_TOKENS)
    output = lengths.get(spec.outcome_model) if spec.outcome_model else None
    if output is None:
        output = spec.expected_output_tokens or (median(lengths.values()) if lengths else DEFAULT_OUTPUT_TOKENS)
    return (prompt * spec.cost.input_per_1m + output * spec.cost.output_per_1m) / 1e6


def cheapest_capable(decision: Decision, strategy: CheapestCapableStrategy, policy: Policy,
                     results: Mapping[str, SignalResult]) -> str:
    costs = {m: expected_cost(policy, m, results) for m in decision.models}
    by_price = sorted(decision.models, key=lambda m: (costs[m], policy.models[m].price))
    predictions = {m: predicted_quality(policy, m, results) for m in by_price}
    for model in by_price:
        quality = predictions[model]
        if quality is not None and quality >= strategy.quality_threshold:
            return model
    known = {m: q for m, q in predictions.items() if q is not None}
    if not known:
        return by_price[-1]
    return max(known, key=lambda m: (known[m], -costs[m]))


def cascade(decision: Decision, strategy: CascadeStrategy, policy: Policy,
            results: Mapping[str, SignalResult]) -> str:
    stages = cascade_logic.Stages.of(decision)
    return cascade_logic.predicted(strategy, stages, cascade_logic.difficulty_of(results))


SELECTORS: dict[str, Callable[..., str]] = {"static": static, "strong_weak": strong_weak,
                                            "cheapest_capable": cheapest_capable, "cascade": cascade}
"""One selection function per strategy type (the typed configs live in ``policy.spec``)."""


def select_model(decision: Decision, policy: Policy, results: Mapping[str, SignalResult]) -> str:
    if len(decision.models) == 1:
        return decision.models[0]
    return SELECTORS[decision.strategy.type](decision, decision.strategy, policy, results)
