"""PII detection with character spans: precise validators for structured PII, a gazetteer
with context cues for person names, a pattern for street addresses."""

from .detector import PII_TYPES, PiiDetector, PiiSpan

__all__ = ["PII_TYPES", "PiiDetector", "PiiSpan"]
