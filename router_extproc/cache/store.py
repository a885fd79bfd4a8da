"""Where cache entries, semantic candidates and session state live.

``MemoryStore``: this process (LRU within entry and byte bounds, TTL). ``RedisStore``: one
Redis shared by every replica. Calls are synchronous and bounded (socket timeouts): they run
in the router's worker threads (the request's plan) or the executor (stores after an
answer), never on the gRPC event loop. ``GuardedStore`` turns any failure into a bypass: a
call that fails or times out raises ``StoreUnavailable`` and the store is skipped for
``retry_after`` seconds, so a dead Redis costs one timeout, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from typing import Any, Protocol

log = logging.getLogger(__name__)
PREFIX = "rx:"
"""Namespace of every Redis key the router writes."""


class StoreUnavailable(Exception):
    """The store failed or is being skipped: the request bypasses the cache."""


class Store(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes, ttl: float) -> None: ...

    def candidates(self, partition: str) -> list[bytes]:
        """The partition's semantic candidates, newest first."""
        ...

    def add_candidate(self, partition: str, record: bytes, ttl: float, keep: int) -> None: ...

    def close(self) -> None: ...


class MemoryStore:
    """Bounded by entries and bytes; the least recently used go first; expired ones on read."""

    def __init__(self, max_entries: int = 10000, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._partitions: OrderedDict[str, tuple[float, deque[bytes]]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def configure(self, max_entries: int, max_bytes: int) -> None:
        with self._lock:
            self.max_entries, self.max_bytes = max_entries, max_bytes
            self._evict()

    def get(self, key: str) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= now:
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, value: bytes, ttl: float) -> None:
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (time.monotonic() + ttl, value)
            self._bytes += len(value)
            self._evict()

    def candidates(self, partition: str) -> list[bytes]:
        with self._lock:
            found = self._partitions.get(partition)
            if found is None:
                return []
            if found[0] <= time.monotonic():
                del self._partitions[partition]
                return []
            self._partitions.move_to_end(partition)
            return list(reversed(found[1]))

    def add_candidate(self, partition: str, record: bytes, ttl: float, keep: int) -> None:
        with self._lock:
            found = self._partitions.get(partition)
            if found is None or found[1].maxlen != keep:
                found = (0.0, deque(found[1] if found else (), maxlen=keep))
            found[1].append(record)
            self._partitions[partition] = (time.monotonic() + ttl, found[1])
            self._partitions.move_to_end(partition)
            while len(self._partitions) > self.max_entries:
                self._partitions.popitem(last=False)

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._items)

    def _drop(self, key: str) -> None:
        _, value = self._items.pop(key)
        self._bytes -= len(value)

    def _evict(self) -> None:
        while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
            _, (_, value) = self._items.popitem(last=False)
            self._bytes -= len(value)


class RedisStore:
    """One Redis shared by every replica; every call bounded by ``timeout`` seconds."""

    def __init__(self, url: str, timeout: float) -> None:
        import redis  # only where a policy asks for it

        self._client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                            retry_on_timeout=False, health_check_interval=0)

    def get(self, key: str) -> bytes | None:
        value = self._client.get(PREFIX + key)
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes, ttl: float) -> None:
        self._client.set(PREFIX + key, value, px=max(1, int(ttl * 1000)))

    def candidates(self, partition: str) -> list[bytes]:
        values = self._client.lrange(PREFIX + partition, 0, -1)
        return [v for v in values if isinstance(v, bytes)]

    def add_candidate(self, partition: str, record: bytes, ttl: float, keep: int) -> None:
        key = PREFIX + partition
        pipe = self._client.pipeline(transaction=False)
        pipe.lpush(key, record)
        pipe.ltrim(key, 0, keep - 1)
        pipe.pexpire(key, max(1, int(ttl * 1000)))
        pipe.execute()

    def close(self) -> None:
        self._client.close()


class GuardedStore:
    """A store whose failures become ``StoreUnavailable``, skipped for ``retry_after`` seconds
    after each failure (a circuit breaker); ``errors`` counts failures."""

    def __init__(self, store: Store, retry_after: float = 1.0) -> None:
        self.store = store
        self.retry_after = retry_after
        self.errors = 0
        self._down_until = 0.0

    def _call(self, what: str, *args: object) -> Any:
        if time.monotonic() < self._down_until:
            raise StoreUnavailable("store skipped after a recent failure")
        try:
            return getattr(self.store, what)(*args)
        except Exception as exc:
            self.errors += 1
            self._down_until = time.monotonic() + self.retry_after
            log.warning("cache store %s failed (%s); bypassing it for %.1fs", what, type(exc).__name__,
                        self.retry_after)
            raise StoreUnavailable(type(exc).__name__) from exc

    def get(self, key: str) -> bytes | None:
        return self._call("get", key)

    def put(self, key: str, value: bytes, ttl: float) -> None:
        self._call("put", key, value, ttl)

    def candidates(self, partition: str) -> list[bytes]:
        return self._call("candidates", partition)

    def add_candidate(self, partition: str, record: bytes, ttl: float, keep: int) -> None:
        self._call("add_candidate", partition, record, ttl, keep)

    def close(self) -> None:
        self.store.close()
