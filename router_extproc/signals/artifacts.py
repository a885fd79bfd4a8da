"""ML artefacts shared by every signal and every policy version, loaded once per process.

The tokenizer and static table, the trained heads, the jailbreak gate's transformer, the
difficulty memory, MiniLM. A policy reload builds new signal objects (cheap) around the same
loaded artefacts; nothing is read from disk per request. A head trained on another encoder's
features than the static table in use is refused at load. MiniLM (and its micro-batcher) is
loaded only if a policy asks.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from router_extproc.encoder.batcher import MicroBatcher
from router_extproc.encoder.features import Featurizer
from router_extproc.encoder.heads import LinearHead
from router_extproc.encoder.onnx_encoder import MiniLMEncoder

if TYPE_CHECKING:
    from router_extproc.signals.difficulty import OutcomeMemory
    from router_extproc.signals.jailbreak.second_stage import SecondStage


class SharedArtifacts:
    """Loaded on first use and kept for the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minilm: MiniLMEncoder | None = None
        self._batcher: MicroBatcher | None = None

    @cached_property
    def featurizer(self) -> Featurizer:
        return Featurizer()

    def _head(self, name: str) -> LinearHead:
        head = LinearHead.load(name)
        if head.meta.get("encoder_id") != self.featurizer.static.encoder_id:
            raise ValueError(f"head {name} was trained on {head.meta.get('encoder_id')!r} features, the static table "
                             f"is {self.featurizer.static.encoder_id!r}: retrain it")
        return head

    @cached_property
    def domain_head(self) -> LinearHead:
        return self._head("domain")

    @cached_property
    def jailbreak_head(self) -> LinearHead:
        return self._head("jailbreak")

    @cached_property
    def jailbreak_second_stage(self) -> SecondStage:
        from router_extproc.signals.jailbreak.second_stage import SecondStage

        return SecondStage()

    @cached_property
    def outcome_memory(self) -> OutcomeMemory:
        from router_extproc.signals.difficulty import OutcomeMemory

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


_default: SharedArtifacts | None = None


def default_artifacts() -> SharedArtifacts:
    global _default
    if _default is None:
        _default = SharedArtifacts()
    return _default
