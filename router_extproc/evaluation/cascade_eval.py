"""A cascade decision replayed on outcome data: which calls it makes and whose answer it keeps.

Each model's recorded final answer (``pred``: a letter, or none) stands in for its text, and the
cascade's own pure functions (``decision/cascade.py``) decide: a clear prompt calls the cheap
model alone, a hard one the strong model alone, the rest both cheap models and, when doubt
reaches the threshold, the strong one too. The cost of every call made is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from router_extproc.decision.agreement import Answer, choices_in
from router_extproc.decision.cascade import Stages, route, verdict
from router_extproc.evaluation.dataset import Query
from router_extproc.policy.spec import CascadeStrategy, Decision, Policy, StrongWeakStrategy


@dataclass(frozen=True)
class Served:
    """The model whose answer the client gets, and every model called for it (in order)."""

    model: str
    calls: tuple[str, ...]


def recorded_answer(query: Query, outcome_model: str) -> Answer:
    """A model's recorded final answer as the text the cascade reads."""
    if outcome_model not in query.pred and outcome_model not in query.score:
        return Answer(None)
    letter = query.pred.get(outcome_model)
    return Answer(f"The answer is ({letter})." if letter else "No final answer.", "stop")


def serve(strategy: CascadeStrategy, stages: Stages, difficulty: float, query: Query,
          data_name: dict[str, str]) -> Served:
    where = route(strategy, difficulty)
    if where == "cheap":
        return Served(stages.cheap, (stages.cheap,))
    if where == "strong":
        return Served(stages.strong, (stages.strong,))
    cheap = recorded_answer(query, data_name[stages.cheap])
    second = recorded_answer(query, data_name[stages.second])
    judged = verdict(strategy, difficulty, cheap, second, choices_in(query.prompt))
    if judged.escalate:
        return Served(stages.strong, (stages.cheap, stages.second, stages.strong))
    return Served(stages.cheap, (stages.cheap, stages.second))


def predictive_baseline(policy: Policy, decision: Decision) -> Policy:
    """The same policy with the cascade decision routed by prediction alone: strong_weak over
    [cheap, strong] on the same difficulty signal (what the cascade is compared with)."""
    stages = Stages.of(decision)
    baseline = decision.model_copy(update={"models": [stages.cheap, stages.strong], "strategy": StrongWeakStrategy()})
    return policy.model_copy(update={
        "name": f"{policy.name} (predictive)",
        "decisions": [baseline if d.name == decision.name else d for d in policy.decisions]})
