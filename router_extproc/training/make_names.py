"""``router-extproc train names``: the first/last-name gazetteer for PII person detection.

Names come from Faker's locale providers (MIT; en_US, en_GB, de_DE, fr_FR, es_ES, it_IT,
nl_NL, pt_BR, pl_PL, sv_SE); capitalised English words that are also names (``Will``,
``May``, ``Grant``) are listed as ``common_words`` and need a context cue.
"""

from __future__ import annotations

import gzip
import json
import re

from ..pii.person import NAMES_FILE

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL", "sv_SE")
COMMON_WORDS = """a an the will may mark bill grant rose june august april faith hope joy art dean gay
lane long rich young white green black brown king may page price major miles ray case chase cook
hunt hill wood stone ward street park bell bay field ford frank gene guy jack jean jewel ken lily
mac max nick norma pat penny rob sky summer sunny victor wade water win bob bud chance chip christian
drew earl ernest fern forest glen golden hazel heath holly iris ivy jade jay joy lee love lucky
marion mercedes more neil noble page pearl paris ray reed rob rock royal ruby sandy saint scott
sterling stone storm tanner trinity vernon violet wells west wolf young ali dale""".split()


def build() -> dict:
    from faker import Faker

    first: set[str] = set()
    last: set[str] = set()
    for locale in LOCALES:
        provider = Faker(locale).provider("faker.providers.person")
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(getattr(provider, attr, {}) or {})
        last.update(getattr(provider, "last_names", {}) or {})
    clean = lambda s: {n for n in s if re.fullmatch(r"[A-Z][a-zà-ÿ'-]+", n)}  # noqa: E731
    data = {"first": sorted(clean(first)), "last": sorted(clean(last)), "common_words": sorted(set(COMMON_WORDS))}
    with gzip.open(NAMES_FILE, "wt", encoding="utf-8") as f:
        json.dump(data, f)
    print(f"names written to {NAMES_FILE}: {len(data['first'])} first, {len(data['last'])} last")
    return data
