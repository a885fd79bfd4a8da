"""Models shared by every signal and every policy version, loaded once per process.

A policy reload builds new signal objects (cheap) around the same loaded models; nothing is
read from disk per request. MiniLM (and its micro-batcher) is loaded only if a policy asks.
"""

from __future__ import annotations

import threading
from functools import cached_property

from ..encoder.batcher import MicroBatcher
from ..encoder.onnx_encoder import MiniLMEncoder
from ..features import Featurizer
from ..heads import LinearHead


class SharedModels:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minilm: MiniLMEncoder | None = None
        self._batcher: MicroBatcher | None = None

    @cached_property
    def featurizer(self) -> Featurizer:
        return Featurizer()

    @cached_property
    def domain_head(self) -> LinearHead:
        return LinearHead.load("domain")

    @cached_property
    def jailbreak_head(self) -> LinearHead:
        return LinearHead.load("jailbreak")

    @cached_property
    def jailbreak_second_stage(self):
        from .jailbreak.second_stage import SecondStage

        return SecondStage()

    @cached_property
    def outcome_memory(self):
        from .difficulty import OutcomeMemory

        return OutcomeMemory.load()

    def minilm(self) -> MiniLMEncoder:
        with self._lock:
            if self._minilm is None:
                self._minilm = MiniLMEncoder()
            return self._minilm

    def minilm_batcher(self) -> MicroBatcher:
        with self._lock:
            if self._batcher is None:
                encoder = MiniLMEncoder(threads=2)  # batches use both cores; measured in bench/signals.py
                self._batcher = MicroBatcher(encoder.embed_ids)
            return self._batcher


_default: SharedModels | None = None


def default_models() -> SharedModels:
    global _default
    if _default is None:
        _default = SharedModels()
    return _default
