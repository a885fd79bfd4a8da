"""Session affinity: a conversation keeps its model across turns.

A conversation is named by the policy's session header, else by a hash of its messages up to
and including the first user message (the same on every later turn). Its model is kept in the
shared store (every replica sees it) with a TTL refreshed at each turn. A new turn keeps that
model unless:

- a gate refuses it (the route raised: nothing to keep), or capability or privacy closure
  would not let the kept model serve it (``Router.keep_model`` says None);
- the request names a model itself (not an ``auto`` name);
- the turn clearly needs another tier: its difficulty is at least ``margin`` above the
  threshold and the new choice is pricier, or at least ``margin`` below and cheaper. The
  threshold is the deciding ``strong_weak`` strategy's, else the difficulty signal's; without
  a difficulty result the conversation stays.

A store that fails or is slow is a bypass: the turn keeps its own fresh decision.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Mapping

from router_extproc.cache.store import GuardedStore, StoreUnavailable
from router_extproc.cache.tenant import tenant_of
from router_extproc.endpoints import ParsedRequest
from router_extproc.policy.cache_spec import AffinitySpec
from router_extproc.policy.spec import StrongWeakStrategy
from router_extproc.routing.router import RouteOutcome, Router

log = logging.getLogger(__name__)


def session_key(spec: AffinitySpec, tenant: str, request: ParsedRequest, headers: Mapping[str, str]) -> str | None:
    """The conversation's key (None: no user message to name it by)."""
    hasher = hashlib.sha256(tenant.encode() + b"\x00" + request.endpoint.encode() + b"\x00")
    named = headers.get(spec.session_header, "").strip()
    if named:
        hasher.update(b"header\x00" + named.encode("utf-8", "surrogatepass"))
    else:
        first = next((i for i, m in enumerate(request.messages) if m.role == "user"), None)
        if first is None:
            return None
        for message in request.messages[: first + 1]:
            hasher.update(message.role.encode() + b"\x00" + message.text.encode("utf-8", "surrogatepass") + b"\x00")
    return "s:" + hasher.hexdigest()


class Affinity:
    def __init__(self, spec: AffinitySpec, router: Router, store: GuardedStore) -> None:
        self.spec = spec
        self.router = router
        self.store = store

    def apply(self, request: ParsedRequest, outcome: RouteOutcome, headers: Mapping[str, str]) -> RouteOutcome:
        """The turn's outcome once the conversation's model is considered; the store remembers
        the model that serves it."""
        if not self.router.knows_model(request.model) or request.model not in self.router.policy.auto_model_names:
            return outcome
        tenant = tenant_of(self.router.policy.store.tenant, headers) or "anonymous"
        key = session_key(self.spec, tenant, request, headers)
        if key is None:
            return outcome
        try:
            raw = self.store.get(key)
        except StoreUnavailable:
            return outcome
        kept = raw.decode("utf-8", "replace") if raw else None
        final = outcome
        if kept and kept != outcome.choice.model and not self._clearly_other_tier(outcome, kept):
            final = self.router.keep_model(outcome, kept, headers) or outcome
        with contextlib.suppress(StoreUnavailable):  # unremembered: the next turn decides afresh
            self.store.put(key, final.choice.model.encode(), float(self.spec.ttl_seconds))
        return final

    def _clearly_other_tier(self, outcome: RouteOutcome, kept: str) -> bool:
        difficulty = outcome.signals.get("difficulty")
        threshold = self._threshold(outcome.choice.decision)
        if difficulty is None or difficulty.error or threshold is None:
            return False
        models = self.router.policy.models
        new, old = models[outcome.choice.model].price, models[kept].price
        if new > old:
            return difficulty.score >= threshold + self.spec.margin
        if new < old:
            return difficulty.score <= threshold - self.spec.margin
        return False

    def _threshold(self, decision: str) -> float | None:
        policy = self.router.policy
        found = next((d for d in policy.decisions if d.name == decision), None)
        if found is not None and isinstance(found.strategy, StrongWeakStrategy):
            return found.strategy.threshold
        return policy.signals.difficulty.threshold if policy.signals.difficulty is not None else None
