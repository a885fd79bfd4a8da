"""Street addresses: a house number and a street type, European street-name forms, and unit /
military-post lines."""

from __future__ import annotations

from . import rx
from .spans import PiiSpan

_STREET_TYPES = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
                 r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Crescent|Close|Row|Strasse|Straße")
_ADDRESSES = [rx.compile(p) for p in (
    rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){{0,4}}(?:{_STREET_TYPES})\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[\w-]+)?",
    r"\b[A-ZÀ-Þ][\w'-]*(?:katu|tie|gasse|straße|strasse|str\.|weg|plein|laan|gade|vej|väg|gatan|utca|u\.)"
    r"\s+\d{1,4}[A-Za-z]?\b(?:,?\s+(?:Apt|Suite|Unit)\.?\s*\w+)?",
    r"\b(?:Rua|Avenida|Av\.|Calle|Carrer|Via|Viale|Rue|Chemin|Piazza|Plaza|Ulica|ul\.)\s+[\w .'-]{2,40}?,?\s*\d{1,5}\b",
    r"\b(?:Apt|Apartment|Suite|Unit)\.?\s+\d{1,5}[A-Za-z]?\b",
    r"\b(?:PSC|Unit)\s+\d{4},\s+Box\s+\d{4}\b",
)]


def addresses(text: str, budget: rx.Budget) -> list[PiiSpan]:
    return [PiiSpan("ADDRESS", start, end, 0.7)
            for pattern in _ADDRESSES for start, end in rx.finditer(pattern, text, budget, "address")]
