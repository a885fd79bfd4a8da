"""Fallback chains: which models Envoy retries, in order, when the chosen one's upstream fails.

A decision with ``fallback`` gets one chain per candidate model: that model, then the
decision's other models in the order after it (wrapping round), ``attempts`` long. A local
model also gets a ``local`` chain holding only local models, for private requests. The Envoy
config renders one aggregate cluster per chain (``envoy_config/fallback.py``); the router names
the chain a request may use (``x-router-fallback``) only when every model on it may receive
the request (privacy closure) and can serve it (capabilities): the full chain, else the local
one, else none. So a private request never falls back to an external model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from router_extproc.policy.spec import Policy

LOCAL = "local"


@dataclass(frozen=True)
class Chain:
    id: str
    """``decision/model`` or ``decision/model/local``: the value of ``x-router-fallback``."""
    decision: str
    models: tuple[str, ...]

    def served_by(self, attempt: int) -> str | None:
        """The model that answered on Envoy's ``attempt`` (1-based), per the chain's priorities."""
        return self.models[attempt - 1] if 1 <= attempt <= len(self.models) else None


def chains(policy: Policy) -> list[Chain]:
    out: list[Chain] = []
    for decision in policy.decisions:
        if decision.fallback is None:
            continue
        models = list(dict.fromkeys(decision.models))
        attempts = decision.fallback.attempts
        for i, model in enumerate(models):
            after = models[i + 1:] + models[:i]
            full = (model, *after)[:attempts]
            out.append(Chain(f"{decision.name}/{model}", decision.name, full))
            if policy.models[model].privacy == "local":
                local = (model, *(m for m in after if policy.models[m].privacy == "local"))[:attempts]
                if len(local) >= 2 and local != full:
                    out.append(Chain(f"{decision.name}/{model}/{LOCAL}", decision.name, local))
    return [c for c in out if len(c.models) >= 2]


class FallbackChains:
    """The policy's chains, looked up by (decision, chosen model)."""

    def __init__(self, policy: Policy) -> None:
        self.all = chains(policy)
        self._by_start: dict[tuple[str, str], list[Chain]] = {}
        for chain in self.all:
            self._by_start.setdefault((chain.decision, chain.models[0]), []).append(chain)
        self._by_id = {c.id: c for c in self.all}

    def get(self, chain_id: str) -> Chain | None:
        return self._by_id.get(chain_id)

    def choose(self, decision: str, model: str, allowed: Callable[[str], bool]) -> Chain | None:
        """The first chain from ``model`` (full, then local) whose every model is ``allowed``."""
        for chain in self._by_start.get((decision, model), []):
            if all(allowed(m) for m in chain.models):
                return chain
        return None
