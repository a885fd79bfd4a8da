"""Build the signal objects a policy declares, once per policy load, around shared models."""

from __future__ import annotations

from ..policy.models import Signals
from .base import Signal
from .context_length import ContextLengthRange
from .keyword import KeywordMatcher
from .models import SharedModels


def build_signals(spec: Signals, models: SharedModels) -> list[Signal]:
    signals: list[Signal] = []
    signals.extend(KeywordMatcher(s) for s in spec.keyword)
    signals.extend(ContextLengthRange(s) for s in spec.context_length)
    if spec.similarity:
        from .similarity import SimilarityMatcher

        signals.extend(SimilarityMatcher(s, models) for s in spec.similarity)
    if spec.domain is not None:
        from .domain import DomainClassifier

        signals.append(DomainClassifier(models.domain_head, spec.domain.min_confidence))
    if spec.difficulty is not None:
        from .difficulty import DifficultyEstimator

        signals.append(DifficultyEstimator(models.outcome_memory, spec.difficulty.threshold, spec.difficulty.min_similarity))
    if spec.jailbreak is not None:
        from .jailbreak import JailbreakDetector

        second = models.jailbreak_second_stage if spec.jailbreak.second_stage else None
        signals.append(JailbreakDetector(models.jailbreak_head, models.featurizer, second, spec.jailbreak.threshold))
    if spec.pii is not None:
        from .pii import PiiScanner

        signals.append(PiiScanner(spec.pii.types))
    if spec.modality is not None:
        from .modality import ModalityDetector

        signals.append(ModalityDetector())
    if spec.language is not None:
        from .language import LanguageDetector

        signals.append(LanguageDetector())
    return signals


def on_error_policy(spec: Signals) -> dict[str, str]:
    """What a failing safety gate's result says: ``block`` makes it match, ``allow`` not."""
    out: dict[str, str] = {}
    if spec.jailbreak is not None:
        out["jailbreak"] = spec.jailbreak.on_error
    if spec.pii is not None:
        out["pii"] = spec.pii.on_error
    return out
