"""``router-extproc eval``: the cost-quality frontier of a policy on outcome data.

Runs the server's own code: each query is parsed as a chat request, its signals computed once
by the policy's ``Router``, then ``Router.decide`` is run for every point of the sweep over
the policy's routing threshold (the ``sweep`` parameter of its first decision whose strategy has
one: ``strong_weak``'s ``threshold``, ``cheapest_capable``'s ``quality_threshold``). A policy model is matched
to the data by its ``outcome_model`` (or its name). Cost uses the policy's prices, prompt
tokens counted with the encoder's tokenizer and each model's output length from the data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from router_extproc.endpoints import parse_request
from router_extproc.errors import RequestError
from router_extproc.evaluation.dataset import Query
from router_extproc.evaluation.metrics import cpt_interpolated
from router_extproc.policy.spec import Policy
from router_extproc.routing.router import Router
from router_extproc.signals import SharedArtifacts, default_artifacts
from router_extproc.signals.view import PER_MESSAGE_TOKENS


@dataclass
class Point:
    threshold: float | None
    quality: float
    cost: float  # USD for the whole set
    strong_share: float
    calls: dict[str, int] = field(default_factory=dict)
    cost_by_model: dict[str, float] = field(default_factory=dict)


@dataclass
class Sweep:
    decision: str
    parameter: str
    values: list[float]


def sweep_of(policy: Policy, results: list[dict], points: int) -> Sweep:
    """The first decision whose strategy has a parameter to sweep, and the values to try."""
    for decision in policy.decisions:
        strategy = decision.strategy
        if strategy.type == "strong_weak":
            scores = np.array([r["difficulty"].score for r in results if "difficulty" in r])
            qs = np.quantile(scores, np.linspace(0, 1, points)) if len(scores) else np.array([0.0])
            values = sorted({float(v) for v in qs} | {float(scores.max()) + 1e-6 if len(scores) else 1.0})
            return Sweep(decision.name, strategy.sweep or "", values)
        if strategy.type == "cheapest_capable":
            return Sweep(decision.name, strategy.sweep or "", [float(v) for v in np.linspace(0, 1, points)])
    raise ValueError("the policy has no strong_weak or cheapest_capable decision to sweep")


def with_threshold(policy: Policy, sweep: Sweep, value: float) -> Policy:
    """The policy with the swept decision's strategy parameter set to ``value``."""
    decisions = [d.model_copy(update={"strategy": d.strategy.model_copy(update={sweep.parameter: value})})
                 if d.name == sweep.decision else d for d in policy.decisions]
    return policy.model_copy(update={"decisions": decisions})


class Evaluation:
    def __init__(self, policy: Policy, queries: list[Query], artifacts: SharedArtifacts | None = None,
                 progress: bool = True) -> None:
        self.policy = policy
        self.shared = artifacts or default_artifacts()
        self.data_name = {name: spec.outcome_model or name for name, spec in policy.models.items()}
        known = set().union(*(q.score for q in queries)) if queries else set()
        missing = sorted(n for n, d in self.data_name.items() if d not in known)
        if missing:
            raise ValueError(f"models without outcomes in the data (set outcome_model): {missing}")
        self.queries = [q for q in queries if all(d in q.score for d in self.data_name.values())]
        router = Router(policy, artifacts=self.shared)
        tokenizer = self.shared.featurizer.tokenizer
        self.results, self.input_tokens = [], []
        for query in tqdm(self.queries, desc="signals", unit="query", disable=not progress):
            request = parse_request("chat", json.dumps({"model": policy.auto_model_names[0],
                                                        "messages": [{"role": "user", "content": query.prompt}]}).encode())
            self.results.append(router.compute_signals(request))
            self.input_tokens.append(tokenizer.count(query.prompt) + PER_MESSAGE_TOKENS)
        self.strong = max(policy.models, key=lambda n: policy.models[n].price)  # until run() measures
        self.weak = min(policy.models, key=lambda n: policy.models[n].price)

    def _cost(self, model: str, i: int) -> float:
        spec = self.policy.models[model]
        out = self.queries[i].output_tokens.get(self.data_name[model], 0.0)
        return (self.input_tokens[i] * spec.cost.input_per_1m + out * spec.cost.output_per_1m) / 1e6

    def point_for(self, choices: list[str], threshold: float | None) -> Point:
        calls: dict[str, int] = {}
        cost_by_model: dict[str, float] = {}
        quality = 0.0
        for i, model in enumerate(choices):
            calls[model] = calls.get(model, 0) + 1
            cost_by_model[model] = cost_by_model.get(model, 0.0) + self._cost(model, i)
            quality += self.queries[i].score[self.data_name[model]]
        n = max(len(choices), 1)
        return Point(threshold, quality / n, sum(cost_by_model.values()), calls.get(self.strong, 0) / n,
                     dict(sorted(calls.items())), {k: round(v, 6) for k, v in sorted(cost_by_model.items())})

    def route_all(self, policy: Policy) -> list[str]:
        router = Router(policy, artifacts=self.shared)
        choices = []
        for results in self.results:
            try:
                choices.append(router.decide(policy.auto_model_names[0], results, {}).choice.model)
            except RequestError:
                choices.append(policy.default_model)  # a blocked query costs nothing and scores as the default
        return choices

    def single(self, model: str) -> Point:
        return self.point_for([model] * len(self.queries), None)

    def oracle(self) -> Point:
        names = sorted(self.policy.models, key=lambda n: self.policy.models[n].price)
        best = [max(names, key=lambda n: (q.score[self.data_name[n]], -self.policy.models[n].price)) for q in self.queries]
        return self.point_for(best, None)

    def run(self, points: int = 41, progress: bool = True) -> dict[str, Any]:
        # RouteLLM's pair, generalised to fleets: "strong" is the best single model on this
        # data, "weak" the cheapest; shares and PGR are measured against that pair
        singles = {m: self.single(m) for m in self.policy.models}
        self.strong = max(singles, key=lambda m: (singles[m].quality, -singles[m].cost))
        self.weak = min(singles, key=lambda m: (singles[m].cost, -singles[m].quality))
        for model, point in singles.items():  # shares were counted against the provisional pair
            point.strong_share = float(model == self.strong)
        sweep = sweep_of(self.policy, self.results, points)
        frontier = [self.point_for(self.route_all(with_threshold(self.policy, sweep, v)), v)
                    for v in tqdm(sweep.values, desc="sweep", unit="point", disable=not progress)]
        configured = self.point_for(self.route_all(self.policy), getattr(
            next(d for d in self.policy.decisions if d.name == sweep.decision).strategy, sweep.parameter))
        report = summarize(self, sweep, frontier, configured, singles, self.oracle())
        return report


def _interpolate_share(frontier: list[Point], q_weak: float, q_strong: float) -> tuple[np.ndarray, np.ndarray]:
    """PGR as a function of the strong-call share, endpoints included, sorted by share."""
    pts = sorted({(0.0, q_weak), (1.0, q_strong), *((p.strong_share, p.quality) for p in frontier)})
    share = np.array([s for s, _ in pts])
    pgr = (np.array([q for _, q in pts]) - q_weak) / (q_strong - q_weak)
    return share, np.maximum.accumulate(pgr)  # a router can always do at least as well with more budget


def summarize(ev: Evaluation, sweep: Sweep, frontier: list[Point], configured: Point,
              singles: dict[str, Point], oracle: Point) -> dict[str, Any]:
    weak = ev.weak
    q_weak, q_strong = singles[weak].quality, singles[ev.strong].quality
    share, pgr = _interpolate_share(frontier, q_weak, q_strong)
    apgr = float(np.trapezoid(pgr, share))

    def cpt(target: float) -> float:
        return cpt_interpolated(share, pgr, target)

    best_single = max(singles, key=lambda m: singles[m].quality)
    return {
        "policy": ev.policy.name,
        "queries": len(ev.queries),
        "sweep": {"decision": sweep.decision, "parameter": sweep.parameter},
        "strong": ev.strong, "weak": weak,
        "apgr": round(apgr, 4),
        "cpt50": round(cpt(0.5), 4),
        "cpt80": round(cpt(0.8), 4),
        "quality": round(configured.quality, 4),
        "cost": round(configured.cost, 4),
        "configured": asdict(configured),
        "oracle": asdict(oracle) | {"gap": round(oracle.quality - configured.quality, 4)},
        "random": {"apgr": 0.5, "quality_at_configured_share": round(q_weak + configured.strong_share * (q_strong - q_weak), 4)},
        "singles": {m: asdict(p) for m, p in singles.items()},
        "best_single": best_single,
        "frontier": [asdict(p) for p in frontier],
    }
