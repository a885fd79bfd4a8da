"""``router-extproc eval``: the cost-quality frontier of a policy on outcome data.

Runs the server's own code: each query is parsed as a chat request, its signals computed once
by the policy's ``Router``, then ``Router.decide`` is run for every point of the sweep over
the policy's routing threshold (the ``sweep`` parameter of its first decision whose strategy has
one: ``strong_weak``'s ``threshold``, ``cheapest_capable``'s ``quality_threshold``, ``cascade``'s
``threshold``). A cascade is replayed on the recorded answers (``cascade_eval.py``) and compared
with the predictive router over the same pair. A policy model is matched to the data by its
``outcome_model`` (or its name). Cost is every call made, at the policy's prices: prompt tokens
counted with the encoder's tokenizer, each model's output length from the data (a length the
data lacks is the median of the other models on that question). The evaluated questions are
left out of the difficulty memory (no self-lookup). Intervals: bootstrap over queries.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from router_extproc.decision.cascade import Stages, difficulty_of
from router_extproc.endpoints import parse_request
from router_extproc.errors import RequestError
from router_extproc.evaluation import bootstrap
from router_extproc.evaluation.cascade_eval import Served, predictive_baseline, serve
from router_extproc.evaluation.dataset import Query
from router_extproc.policy.spec import CascadeStrategy, Decision, Policy
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
        if isinstance(strategy, CascadeStrategy):
            # doubt takes three values per prompt (agree, no opinion, disagree); sweep its quantiles
            prior = np.array([strategy.difficulty_weight * difficulty_of(r) for r in results])
            doubts = np.concatenate([prior, prior + strategy.no_opinion, prior + 1.0])
            qs = np.quantile(doubts, np.linspace(0, 1, 2 * points))
            values = sorted({round(float(v), 6) for v in qs} | {float(doubts.max()) + 1e-6})
            return Sweep(decision.name, strategy.sweep or "", values)
    raise ValueError("the policy has no strong_weak, cheapest_capable or cascade decision to sweep")


def with_threshold(policy: Policy, sweep: Sweep, value: float) -> Policy:
    """The policy with the swept decision's strategy parameter set to ``value``."""
    decisions = [d.model_copy(update={"strategy": d.strategy.model_copy(update={sweep.parameter: value})})
                 if d.name == sweep.decision else d for d in policy.decisions]
    return policy.model_copy(update={"decisions": decisions})


class Evaluation:
    def __init__(self, policy: Policy, queries: list[Query], artifacts: SharedArtifacts | None = None,
                 progress: bool = True, missing_output: str = "median") -> None:
        self.policy = policy
        self.shared = artifacts or _without_own_questions(queries)
        self.data_name = {name: spec.outcome_model or name for name, spec in policy.models.items()}
        known = set().union(*(q.score for q in queries)) if queries else set()
        missing = sorted(n for n, d in self.data_name.items() if d not in known)
        if missing:
            raise ValueError(f"models without outcomes in the data (set outcome_model): {missing}")
        self.queries = [q for q in queries if all(d in q.score for d in self.data_name.values())]
        self.missing_output = missing_output
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
        lengths = self.queries[i].output_tokens
        out = lengths.get(self.data_name[model])
        if out is None:
            out = float(np.median(list(lengths.values()))) if lengths and self.missing_output == "median" else 0.0
        return (self.input_tokens[i] * spec.cost.input_per_1m + out * spec.cost.output_per_1m) / 1e6

    def _served(self, choices: list[str] | list[Served]) -> list[Served]:
        return [c if isinstance(c, Served) else Served(c, (c,)) for c in choices]

    def point_for(self, choices: list[str] | list[Served], threshold: float | None) -> Point:
        calls: dict[str, int] = {}
        cost_by_model: dict[str, float] = {}
        quality = 0.0
        served = self._served(choices)
        for i, item in enumerate(served):
            for model in item.calls:
                calls[model] = calls.get(model, 0) + 1
                cost_by_model[model] = cost_by_model.get(model, 0.0) + self._cost(model, i)
            quality += self.queries[i].score[self.data_name[item.model]]
        n = max(len(served), 1)
        strong = sum(self.strong in item.calls for item in served)
        return Point(threshold, quality / n, sum(cost_by_model.values()), strong / n,
                     dict(sorted(calls.items())), {k: round(v, 6) for k, v in sorted(cost_by_model.items())})

    def vectors(self, served: list[Served]) -> tuple[np.ndarray, np.ndarray]:
        """Per query: the served answer's score, and whether the strong model was called."""
        scores = np.array([self.queries[i].score[self.data_name[s.model]] for i, s in enumerate(served)])
        return scores, np.array([float(self.strong in s.calls) for s in served])

    def serve_all(self, policy: Policy) -> list[Served]:
        """What each query gets under ``policy``: the answering model and every call made."""
        router = Router(policy, artifacts=self.shared)
        cascades = {d.name: d for d in policy.decisions if isinstance(d.strategy, CascadeStrategy)}
        served = []
        for i, results in enumerate(self.results):
            try:
                choice = router.decide(policy.auto_model_names[0], results, {}).choice
            except RequestError:  # a blocked query costs nothing and scores as the default
                served.append(Served(policy.default_model, ()))
                continue
            decision = cascades.get(choice.decision)
            if decision is not None and choice.reason == "rule":
                assert isinstance(decision.strategy, CascadeStrategy)
                served.append(serve(decision.strategy, Stages.of(decision), difficulty_of(results), self.queries[i],
                                    self.data_name))
            else:
                served.append(Served(choice.model, (choice.model,)))
        return served

    def route_all(self, policy: Policy) -> list[str]:
        return [s.model for s in self.serve_all(policy)]

    def single(self, model: str) -> Point:
        return self.point_for([model] * len(self.queries), None)

    def oracle(self) -> Point:
        names = sorted(self.policy.models, key=lambda n: self.policy.models[n].price)
        best = [max(names, key=lambda n: (q.score[self.data_name[n]], -self.policy.models[n].price)) for q in self.queries]
        return self.point_for(best, None)

    def frontier(self, policy: Policy, sweep: Sweep, progress: bool) -> tuple[list[Point], list[list[Served]]]:
        served = [self.serve_all(with_threshold(policy, sweep, v))
                  for v in tqdm(sweep.values, desc="sweep", unit="point", disable=not progress)]
        return [self.point_for(s, v) for s, v in zip(served, sweep.values, strict=True)], served

    def run(self, points: int = 41, progress: bool = True) -> dict[str, Any]:
        # RouteLLM's pair, generalised to fleets: "strong" is the best single model on this
        # data, "weak" the cheapest; shares and PGR are measured against that pair
        singles = {m: self.single(m) for m in self.policy.models}
        self.strong = max(singles, key=lambda m: (singles[m].quality, -singles[m].cost))
        self.weak = min(singles, key=lambda m: (singles[m].cost, -singles[m].quality))
        for model, point in singles.items():  # shares were counted against the provisional pair
            point.strong_share = float(model == self.strong)
        sweep = sweep_of(self.policy, self.results, points)
        frontier, served = self.frontier(self.policy, sweep, progress)
        swept = next(d for d in self.policy.decisions if d.name == sweep.decision)
        configured_served = self.serve_all(self.policy)
        configured = self.point_for(configured_served, getattr(swept.strategy, sweep.parameter))
        report = summarize(self, sweep, frontier, configured, singles, self.oracle())
        report["ci"] = self.intervals(served, configured_served)
        if isinstance(swept.strategy, CascadeStrategy):
            report["baseline"] = self.baseline(swept, points, progress)
            report["equal_cost"] = equal_cost(report)
        return report

    def intervals(self, served: list[list[Served]], configured: list[Served]) -> dict[str, list[float]]:
        weak, _ = self.vectors([Served(self.weak, (self.weak,))] * len(self.queries))
        strong, _ = self.vectors([Served(self.strong, (self.strong,))] * len(self.queries))
        vectors = [self.vectors(s) for s in served]
        configured_scores, configured_strong = self.vectors(configured)
        return bootstrap.intervals(np.stack([v[0] for v in vectors]), np.stack([v[1] for v in vectors]), weak, strong,
                                   {"quality": configured_scores, "strong_share": configured_strong})

    def baseline(self, decision: Decision, points: int, progress: bool) -> dict[str, Any]:
        """The predictive router over the cascade's [cheap, strong] pair, swept the same way."""
        policy = predictive_baseline(self.policy, decision)
        sweep = sweep_of(policy, self.results, points)
        frontier, served = self.frontier(policy, sweep, progress)
        weak = self.single(self.weak).quality
        strong = self.single(self.strong).quality
        shares = np.array([p.strong_share for p in frontier])
        metrics = bootstrap.curve_metrics(shares, np.array([p.quality for p in frontier]), weak, strong)
        return {"policy": policy.name, **{k: round(v, 4) for k, v in metrics.items()},
                "ci": self.intervals(served, served[0]), "frontier": [asdict(p) for p in frontier]}


def _without_own_questions(queries: list[Query]) -> SharedArtifacts:
    """Artifacts whose difficulty memory leaves out the evaluated questions (their own outcomes
    would be a self-lookup); a question duplicated under another id stays findable."""
    shared = default_artifacts()
    ids = {q.question_id for q in queries if q.question_id is not None}
    if not ids:
        return shared
    own = SharedArtifacts()
    own.featurizer = shared.featurizer
    own.outcome_memory = shared.outcome_memory.without(ids)
    return own


def best_within(frontier: list[dict[str, Any]], cost: float) -> dict[str, Any] | None:
    """The highest-quality sweep point costing at most ``cost`` (a threshold one can deploy)."""
    ok = [p for p in frontier if p["cost"] <= cost + 1e-12]
    return max(ok, key=lambda p: (p["quality"], -p["cost"])) if ok else None


def cheapest_reaching(frontier: list[dict[str, Any]], quality: float) -> dict[str, Any] | None:
    ok = [p for p in frontier if p["quality"] >= quality - 1e-12]
    return min(ok, key=lambda p: (p["cost"], -p["quality"])) if ok else None


def versus_single(frontier: list[dict[str, Any]], single: dict[str, Any]) -> dict[str, Any]:
    """The router against one model: its quality at that model's cost and at half of it, and the
    share of that model's cost the router needs to match its quality."""
    at_cost, at_half = best_within(frontier, single["cost"]), best_within(frontier, single["cost"] / 2)
    matching = cheapest_reaching(frontier, single["quality"])
    return {
        "quality": round(single["quality"], 4), "cost": round(single["cost"], 4),
        "router_quality_at_equal_cost": round(at_cost["quality"], 4) if at_cost else None,
        "router_quality_at_half_cost": round(at_half["quality"], 4) if at_half else None,
        "router_cost_share_at_equal_quality": round(matching["cost"] / single["cost"], 4) if matching else None,
    }


def equal_cost(report: dict[str, Any]) -> dict[str, Any]:
    """Cascade vs predictive routing on the cost axis: each one's best quality within the other's
    configured cost, and the cascade's quality at the predictive frontier's costs."""
    cascade, predictive = report["frontier"], report["baseline"]["frontier"]
    rows = []
    for point in sorted(predictive, key=lambda p: p["cost"]):
        mine = best_within(cascade, point["cost"])
        rows.append({"cost": round(point["cost"], 4), "predictive": round(point["quality"], 4),
                     "cascade": round(mine["quality"], 4) if mine else None})
    configured = report["configured"]
    theirs = best_within(predictive, configured["cost"])
    return {"at_cascade_configured_cost": {"cost": round(configured["cost"], 4),
                                           "cascade": round(configured["quality"], 4),
                                           "predictive": round(theirs["quality"], 4) if theirs else None},
            "by_cost": rows}


def summarize(ev: Evaluation, sweep: Sweep, frontier: list[Point], configured: Point,
              singles: dict[str, Point], oracle: Point) -> dict[str, Any]:
    weak = ev.weak
    q_weak, q_strong = singles[weak].quality, singles[ev.strong].quality
    metrics = bootstrap.curve_metrics(np.array([p.strong_share for p in frontier]),
                                      np.array([p.quality for p in frontier]), q_weak, q_strong)
    best_single = max(singles, key=lambda m: singles[m].quality)
    points = [asdict(p) for p in frontier]
    return {
        "policy": ev.policy.name,
        "queries": len(ev.queries),
        "sweep": {"decision": sweep.decision, "parameter": sweep.parameter},
        "strong": ev.strong, "weak": weak,
        "apgr": round(metrics["apgr"], 4),
        "cpt50": round(metrics["cpt50"], 4),
        "cpt80": round(metrics["cpt80"], 4),
        "quality": round(configured.quality, 4),
        "cost": round(configured.cost, 4),
        "configured": asdict(configured),
        "oracle": asdict(oracle) | {"gap": round(oracle.quality - configured.quality, 4)},
        "random": {"apgr": 0.5, "quality_at_configured_share": round(q_weak + configured.strong_share * (q_strong - q_weak), 4)},
        "singles": {m: asdict(p) for m, p in singles.items()},
        "best_single": best_single,
        "vs_best_single": versus_single(points, asdict(singles[best_single])),
        "cost_model": f"every call; missing output lengths: {ev.missing_output}",
        "frontier": points,
    }
