"""Micro-batching for the ONNX encoder: concurrent requests share one inference call.

Callers (signal threads) submit token-id arrays and block on a future; one worker thread
takes whatever is queued when it is free (up to ``max_batch``), sorts it by length to
limit padding, runs one batch and resolves the futures. No timer: an idle encoder adds no
wait, a busy one forms batches by itself.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

EmbedFn = Callable[[list[np.ndarray]], np.ndarray]


class MicroBatcher:
    def __init__(self, embed: EmbedFn, max_batch: int = 16) -> None:
        self._embed = embed
        self._max_batch = max_batch
        self._queue: queue.Queue[tuple[np.ndarray, Future] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="encoder-batcher", daemon=True)
        self._worker.start()
        self.batches = 0
        self.items = 0

    def submit(self, ids: np.ndarray) -> Future:
        future: Future = Future()
        self._queue.put((ids, future))
        return future

    def embed(self, ids: np.ndarray, timeout: float | None = 5.0) -> np.ndarray:
        return self.submit(ids).result(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join(timeout=5)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            batch.sort(key=lambda item: len(item[0]))
            try:
                vectors = self._embed([ids for ids, _ in batch])
            except Exception as exc:  # every waiter learns of the failure
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.batches += 1
            self.items += len(batch)
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)
