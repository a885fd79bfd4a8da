"""Language of the focus text: Unicode script for non-Latin scripts, stopwords for Latin ones.

Cheap and dependency-free; good enough to route (e.g. non-English to a multilingual model),
not a linguistic tool. Labels are ISO 639-1 codes, ``und`` when undecided.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from router_extproc.signals.base import SignalResult
from router_extproc.signals.view import RequestView

if TYPE_CHECKING:
    from router_extproc.policy.spec import LanguageSignalSpec
    from router_extproc.signals.artifacts import SharedArtifacts

_SCRIPTS = [
    ("zh", re.compile(r"[\u4e00-\u9fff]")), ("ja", re.compile(r"[\u3040-\u30ff]")), ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")), ("ar", re.compile(r"[\u0600-\u06ff]")), ("hi", re.compile(r"[\u0900-\u097f]")),
    ("el", re.compile(r"[\u0370-\u03ff]")), ("he", re.compile(r"[\u0590-\u05ff]")), ("th", re.compile(r"[\u0e00-\u0e7f]")),
]
_STOPWORDS = {
    "en": "the and is are of to in that it for you with this what how can was be on not",
    "es": "el la los las de que y en un una es por para con no se lo como qué más",
    "fr": "le la les de des et est un une que en pour pas qui dans sur vous avec ce",
    "de": "der die das und ist nicht ein eine zu den mit von für auf ich sie es wie",
    "pt": "o a os as de que e em um uma para com não por se do da é como",
    "it": "il la di che e un una per non sono con come della del è mi ti",
    "nl": "de het een en van is dat niet op te voor met zijn ik je wat",
}
_STOPSETS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str) -> tuple[str, float]:
    sample = text[:2000]
    letters = sum(ch.isalpha() for ch in sample) or 1
    for lang, pattern in _SCRIPTS:
        share = len(pattern.findall(sample)) / letters
        if share > 0.3:
            return lang, min(1.0, share)
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return "und", 0.0
    hits = {lang: sum(w in stops for w in words) for lang, stops in _STOPSETS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    if hits[best] == 0:
        return ("en", 0.3) if all(w.isascii() for w in words) else ("und", 0.0)
    ranked = sorted(hits.values(), reverse=True)
    margin = (ranked[0] - ranked[1]) / ranked[0]
    return best, round(0.5 + 0.5 * margin, 3)


class LanguageDetector:
    ref = "language"

    @classmethod
    def from_spec(cls, spec: LanguageSignalSpec, artifacts: SharedArtifacts) -> LanguageDetector:
        return cls()

    def evaluate(self, view: RequestView) -> SignalResult:
        text = view.request.last_user_text or view.request.user_text
        lang, confidence = detect_language(text)
        return SignalResult(self.ref, lang != "und", confidence, confidence, frozenset({lang}))
