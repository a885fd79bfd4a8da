"""The process-wide store and the cache of the policy in force.

One ``CacheRuntime`` per router process: the store outlives policy reloads (the memory
store keeps its entries; Redis keeps its connection pool), while each policy version gets its
own ``ResponseCache`` (its keys carry the version). The Redis URL comes from the command line
or ``ROUTER_REDIS_URL``, never from the policy (it may hold a password).
"""

from __future__ import annotations

import logging
import threading

from router_extproc.cache.stage import ResponseCache
from router_extproc.cache.store import GuardedStore, MemoryStore, RedisStore
from router_extproc.policy import Policy

log = logging.getLogger(__name__)


class CacheRuntime:
    def __init__(self, redis_url: str | None = None) -> None:
        self.redis_url = redis_url
        self._memory: GuardedStore | None = None
        self._redis: GuardedStore | None = None
        self._current: tuple[Policy, ResponseCache | None, GuardedStore | None] | None = None
        self._lock = threading.Lock()
        self._warned = False

    def store_for(self, policy: Policy) -> GuardedStore | None:
        spec = policy.store
        if spec.backend == "redis":
            if self.redis_url is None:
                if not self._warned:
                    log.error("the policy keeps its cache in Redis but no --redis-url was given: cache bypassed")
                    self._warned = True
                return None
            if self._redis is None:
                self._redis = GuardedStore(RedisStore(self.redis_url, spec.timeout_ms / 1000), spec.retry_after_seconds)
            self._redis.retry_after = spec.retry_after_seconds
            return self._redis
        if self._memory is None:
            self._memory = GuardedStore(MemoryStore(), spec.retry_after_seconds)
        if policy.cache is not None:
            memory = self._memory.store
            assert isinstance(memory, MemoryStore)
            memory.configure(policy.cache.max_entries, policy.cache.max_bytes)
        return self._memory

    def cache_for(self, policy: Policy, version: str) -> ResponseCache | None:
        """The cache of this policy version (None: the policy has none, or its store is missing)."""
        return self._for(policy, version)[0]

    def affinity_store(self, policy: Policy, version: str) -> GuardedStore | None:
        """Where this policy's session affinity keeps conversations (None: it has none)."""
        return self._for(policy, version)[1]

    def _for(self, policy: Policy, version: str) -> tuple[ResponseCache | None, GuardedStore | None]:
        current = self._current
        if current is not None and current[0] is policy:
            return current[1], current[2]
        with self._lock:
            store = self.store_for(policy) if policy.cache is not None or policy.affinity is not None else None
            cache = ResponseCache(policy.cache, policy, version, store) if policy.cache and store else None
            self._current = (policy, cache, store if policy.affinity is not None else None)
            return cache, self._current[2]

    def close(self) -> None:
        for store in (self._memory, self._redis):
            if store is not None:
                store.close()
