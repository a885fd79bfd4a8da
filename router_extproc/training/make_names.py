"""``router-extproc train names``: the first/last-name gazetteer for PII person detection.

Names come from every Faker locale whose names are written in Latin script (MIT). Names that
are also ordinary words (``Will``, ``May``, ``Grant``, ``Page``) are listed as ``common_words``:
those a hand list names, and every gazetteer name that appears in lower case at least
``COMMON_MIN`` times in the MMLU-Pro *train* questions (a word people write in lower case is
a word, not only a name). The person detector needs more than such a word alone. ``words``
is every lower-case word seen ``WORD_MIN`` times there (``upgrade``, ``sales``): a capitalised
sentence opener that is an ordinary word is not a name.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import re
import unicodedata
import warnings
from collections import Counter

from router_extproc.pii.person import NAMES_FILE
from router_extproc.training import pii_data

COMMON_WORDS = ["a", "an", "the", "will", "may", "mark", "bill", "grant", "rose", "june", "august", "april", "faith", "hope", "joy", "art", "dean", "gay", "lane", "long", "rich", "young", "white", "green", "black", "brown", "king", "may", "page", "price", "major", "miles", "ray", "case", "chase", "cook", "hunt", "hill", "wood", "stone", "ward", "street", "park", "bell", "bay", "field", "ford", "frank", "gene", "guy", "jack", "jean", "jewel", "ken", "lily", "mac", "max", "nick", "norma", "pat", "penny", "rob", "sky", "summer", "sunny", "victor", "wade", "water", "win", "bob", "bud", "chance", "chip", "christian", "drew", "earl", "ernest", "fern", "forest", "glen", "golden", "hazel", "heath", "holly", "iris", "ivy", "jade", "jay", "joy", "lee", "love", "lucky", "marion", "mercedes", "more", "neil", "noble", "page", "pearl", "paris", "ray", "reed", "rob", "rock", "royal", "ruby", "sandy", "saint", "scott", "sterling", "stone", "storm", "tanner", "trinity", "vernon", "violet", "wells", "west", "wolf", "young", "ali", "dale"]
COMMON_MIN = 3
WORD_MIN = 2
_NAME = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*")


def _latin(name: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in name)


def gazetteer_names() -> tuple[set[str], set[str]]:
    """First and last names of every Latin-script Faker locale."""
    import faker.config
    from faker import Faker

    first: set[str] = set()
    last: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated locale aliases
        for locale in faker.config.AVAILABLE_LOCALES:
            try:
                provider = Faker(locale).provider("faker.providers.person")
            except (AttributeError, ValueError):
                continue
            for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
                first.update(getattr(provider, attr, {}) or {})
            for attr in ("last_names", "last_names_male", "last_names_female"):
                last.update(getattr(provider, attr, {}) or {})
    clean = lambda names: {n for n in names if _NAME.fullmatch(n) and n[0].isupper() and _latin(n)}  # noqa: E731
    return clean(first), clean(last)


def lowercase_counts(data_dir: pathlib.Path) -> Counter:
    counts: Counter = Counter()
    for question in pii_data.mmlu_questions(data_dir, "train"):
        counts.update(w for w in re.findall(r"[^\W\d_]+", question) if w.islower())
    return counts


def build(data_dir: pathlib.Path) -> dict:
    first, last = gazetteer_names()
    lower = lowercase_counts(data_dir)
    common = set(COMMON_WORDS) | {n.lower() for n in first | last if lower[n.lower()] >= COMMON_MIN}
    words = {w for w, n in lower.items() if n >= WORD_MIN and len(w) > 2}
    data = {"first": sorted(first), "last": sorted(last), "common_words": sorted(common), "words": sorted(words)}
    with gzip.open(NAMES_FILE, "wt", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    print(f"names written to {NAMES_FILE}: {len(first)} first, {len(last)} last, {len(common)} common words, "
          f"{len(words)} words")
    return data
