"""The cache stage of a request plan: look up before routing, store after a whole answer.

``ResponseCache.begin`` (before routing): the tenant, whether the request is cacheable
(temperature 0, or the opt-in header), a private tier header, then the exact key. On a miss
the router routes; ``after_route`` then drops private requests (the PII scan found something,
or could not tell) and tries the semantic partition with the shared view's last-turn ids and
static embedding (no second encoder pass). A ``Ticket`` carries the request's cache state to
the response phase, where ``PendingAnswer`` collects the answer as the client gets it and
stores it only when whole (``answers.complete``). A failing store never fails a request: it
becomes a bypass, counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import orjson

from router_extproc.cache.answers import complete
from router_extproc.cache.fingerprint import digest, vary_values, without_last_turn
from router_extproc.cache.semantic import Matcher, Probe, pack_vector
from router_extproc.cache.store import GuardedStore, StoreUnavailable
from router_extproc.cache.tenant import tenant_of
from router_extproc.decision.privacy import header_private
from router_extproc.endpoints import ParsedRequest
from router_extproc.policy import Policy
from router_extproc.policy.cache_spec import CacheSpec
from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

log = logging.getLogger(__name__)
TRUE = frozenset({"1", "true", "yes", "on"})
Status = Literal["hit", "miss", "bypass"]


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    content_type: str
    model: str
    """The policy's name of the model that gave the answer."""
    kind: Literal["exact", "semantic"]


@dataclass
class Ticket:
    """One request's way through the cache."""

    status: Status
    reason: str = ""
    """Why it bypassed (``no-tenant``, ``not-cacheable``, ``private``, ``store``) or how it hit."""
    endpoint: str = ""
    tenant: str = ""
    key: str = ""
    partition: str | None = None
    probe: Probe | None = None
    answer: CachedAnswer | None = None
    store_error: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def bypass(self, reason: str, store_error: bool = False) -> Ticket:
        self.status, self.reason, self.store_error = "bypass", reason, self.store_error or store_error
        return self

    def found(self, raw: bytes | None, kind: Literal["exact", "semantic"]) -> Ticket:
        """A hit when the store returned a readable entry; otherwise the ticket stays as it is."""
        answer = decode_entry(raw, kind) if raw is not None else None
        if answer is not None:
            self.status, self.reason, self.answer = "hit", kind, answer
        return self


def encode_entry(answer: CachedAnswer) -> bytes:
    head = orjson.dumps({"ct": answer.content_type, "model": answer.model})
    return head + b"\n" + answer.body


def decode_entry(raw: bytes, kind: Literal["exact", "semantic"]) -> CachedAnswer | None:
    head, sep, body = raw.partition(b"\n")
    try:
        meta = orjson.loads(head)
    except orjson.JSONDecodeError:
        return None
    if not sep or not isinstance(meta, dict) or not isinstance(meta.get("ct"), str):
        return None
    return CachedAnswer(body, meta["ct"], str(meta.get("model", "")), kind)


def cacheable(spec: CacheSpec, body: dict[str, Any], headers: dict[str, str] | Any) -> bool:
    """Temperature 0 (a number, given explicitly) or the opt-in header."""
    rule = spec.cacheable
    temperature = body.get("temperature")
    if rule.temperature_zero and isinstance(temperature, int | float) and not isinstance(temperature, bool) \
            and temperature == 0:
        return True
    return rule.opt_in_header is not None and headers.get(rule.opt_in_header, "").strip().lower() in TRUE


def private_scan(pii: SignalResult | None) -> bool:
    """The PII scan the route used found something or could not tell (None: no scan ran,
    which only happens when the policy has no external model and no pii signal)."""
    return pii is not None and (bool(pii.error) or bool(pii.labels))


class ResponseCache:
    """The cache of one policy version over a process-wide store."""

    def __init__(self, spec: CacheSpec, policy: Policy, version: str, store: GuardedStore) -> None:
        self.spec = spec
        self.policy = policy
        self.version = version
        self.store = store
        self._matcher: Matcher | None = None

    # -- before routing ----------------------------------------------------------------------

    def begin(self, request: ParsedRequest, headers: Any) -> Ticket:
        ticket = Ticket("miss", endpoint=request.endpoint)
        tenant = tenant_of(self.policy.store.tenant, headers)
        if tenant is None:
            return ticket.bypass("no-tenant")
        if not cacheable(self.spec, request.body, headers):
            return ticket.bypass("not-cacheable")
        if not self.spec.cacheable.private and header_private(self.policy, headers):
            return ticket.bypass("private")
        ticket.tenant = tenant
        vary = vary_values(self.spec.vary_headers, headers)
        ticket.key = digest(tenant, request.endpoint, self.version, vary, request.body, "e")
        partition_body = without_last_turn(request.endpoint, request.body) if self.spec.semantic else None
        if partition_body is not None:
            ticket.partition = digest(tenant, request.endpoint, self.version, vary, partition_body, "p")
        try:
            raw = self.store.get(ticket.key)
        except StoreUnavailable:
            return ticket.bypass("store", store_error=True)
        return ticket.found(raw, "exact")

    # -- after routing -----------------------------------------------------------------------

    def after_route(self, ticket: Ticket, pii: SignalResult | None, view: RequestView | None) -> Ticket:
        """Private requests bypass; a miss tries the semantic partition."""
        if ticket.status != "miss":
            return ticket
        if not self.spec.cacheable.private and private_scan(pii):
            return ticket.bypass("private")
        semantic = self.spec.semantic
        if semantic is None or ticket.partition is None or view is None:
            return ticket
        probe = self._probe(view, semantic.max_tokens)
        if probe is None:
            ticket.partition = None  # exact match only: nothing to index
            return ticket
        ticket.probe = probe
        try:
            records = self.store.candidates(ticket.partition)
            found = self._best(probe, records)
            raw = self.store.get(found) if found is not None else None
        except StoreUnavailable:
            return ticket.bypass("store", store_error=True)
        return ticket.found(raw, "semantic")

    def matcher(self, view: RequestView) -> Matcher:
        if self._matcher is None:
            semantic = self.spec.semantic
            assert semantic is not None
            self._matcher = Matcher(view.featurizer, semantic.threshold, semantic.max_edits, semantic.max_novelty)
        return self._matcher

    def _probe(self, view: RequestView, max_tokens: int) -> Probe | None:
        messages = view.request.messages
        index = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), None)
        if index is None:
            return None
        ids = view.message_ids[index]
        if len(ids) == 0 or len(ids) > max_tokens:
            return None
        return self.matcher(view).probe(ids, view.last_user_features.embedding, messages[index].text)

    def _best(self, probe: Probe, records: list[bytes]) -> str | None:
        """The entry key of the stored turn that is the same request, if any."""
        parsed = []
        for record in records:
            try:
                item = orjson.loads(record)
                parsed.append((str(item["k"]), bytes.fromhex(item["v"]), item["l"]))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
        if not parsed or self._matcher is None:
            return None
        for index, cosine in self._matcher.ranked(probe, [v for _, v, _ in parsed]):
            key, vector, lexical = parsed[index]
            stored = Probe.from_lexical(np.frombuffer(vector, dtype=np.int8).astype(np.float32), lexical)
            if self._matcher.same(probe, stored, cosine):
                return key
        return None

    # -- after the answer --------------------------------------------------------------------

    def pending(self, ticket: Ticket, model: str) -> PendingAnswer | None:
        """What collects a miss's answer (None: nothing will be stored)."""
        if ticket.status != "miss" or not ticket.key:
            return None
        return PendingAnswer(self, ticket, model)

    def store_answer(self, ticket: Ticket, answer: CachedAnswer) -> bool:
        """Write a whole answer (and its semantic candidate); False when the store failed."""
        ttl = float(self.spec.ttl_seconds)
        try:
            self.store.put(ticket.key, encode_entry(answer), ttl)
            if ticket.partition is not None and ticket.probe is not None:
                record = orjson.dumps({"k": ticket.key, "v": pack_vector(ticket.probe.vector).hex(),
                                       "l": ticket.probe.lexical()})
                self.store.add_candidate(ticket.partition, record, ttl, self.spec.max_partition_entries)
        except StoreUnavailable:
            return False
        return True


class PendingAnswer:
    """A miss's answer as the client gets it, stored once whole."""

    def __init__(self, cache: ResponseCache, ticket: Ticket, model: str) -> None:
        self._cache = cache
        self._ticket = ticket
        self._model = model
        self._parts: list[bytes] | None = None
        self._size = 0
        self._content_type = ""

    def on_headers(self, status: int | None, content_type: str) -> bool:
        """False when this answer will not be stored (an error, another type)."""
        self._content_type = content_type.split(";", 1)[0].strip().lower()
        if status == 200 and self._content_type in ("application/json", "text/event-stream"):
            self._parts = []
        return self._parts is not None

    def feed(self, chunk: bytes) -> None:
        if self._parts is None:
            return
        self._size += len(chunk)
        if self._size > self._cache.spec.max_entry_bytes:
            self._parts = None
        else:
            self._parts.append(chunk)

    def finished(self) -> CachedAnswer | None:
        """The whole answer, or None (too large, truncated, an error event, cut short)."""
        if self._parts is None:
            return None
        body = b"".join(self._parts)
        self._parts = None
        if not complete(self._ticket.endpoint, self._content_type, body):
            return None
        return CachedAnswer(body, self._content_type, self._model, "exact")

    def store(self, answer: CachedAnswer) -> bool:
        return self._cache.store_answer(self._ticket, answer)
