"""Similarity routes (aurelio-style): example utterances per route, a threshold per route.

Utterances are embedded once at policy load. A request's focus text is compared by cosine
with every utterance; a route's score is its best match. ``encoder: static`` (default) uses
the shared static embedding (free: already computed); ``encoder: minilm`` runs the full MiniLM
through the micro-batcher, slower but contextual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from router_extproc.policy.spec import SimilarityRoute
from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.signals.artifacts import SharedArtifacts


class SimilarityMatcher:
    @classmethod
    def from_spec(cls, spec: SimilarityRoute, artifacts: SharedArtifacts) -> SimilarityMatcher:
        return cls(spec, artifacts)

    def __init__(self, spec: SimilarityRoute, models) -> None:
        self.ref = f"similarity:{spec.name}"
        self._threshold = spec.threshold
        self._encoder = spec.encoder
        self._models = models
        ids = [models.featurizer.tokenizer.ids(u, 256) for u in spec.utterances]
        if spec.encoder == "minilm":
            self._matrix = models.minilm().embed_ids(ids)
        else:
            self._matrix = np.stack([models.featurizer.static.embed(i) for i in ids])
        self._utterances = spec.utterances

    def evaluate(self, view: RequestView) -> SignalResult:
        if self._encoder == "minilm":
            vector = self._models.minilm_batcher().embed(view.focus_ids)
        else:
            vector = view.focus.embedding
        sims = self._matrix @ vector
        best = int(np.argmax(sims))
        score = float(sims[best])
        return SignalResult(self.ref, score >= self._threshold, score, score, frozenset(),
                            {"closest": self._utterances[best][:80]})
