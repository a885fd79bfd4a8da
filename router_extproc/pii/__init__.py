"""PII detection with character spans, in linear time.

Validators for structured PII, a gazetteer with context cues for person names, patterns for
street addresses; obfuscation undone first (``deobfuscate``, ``blobs``), every pattern run by
RE2, the Python work per text bounded (``rx.Budget``). See docs/pii.md.
"""

from router_extproc.pii.detector import PII_TYPES, PiiDetector, PiiScan, PiiScanIncomplete
from router_extproc.pii.spans import PiiSpan

__all__ = ["PII_TYPES", "PiiDetector", "PiiScan", "PiiScanIncomplete", "PiiSpan"]
