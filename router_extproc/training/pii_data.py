"""Labelled PII sets for ``eval-pii``, each with a train and a dev part.

- presidio-research ``synth_dataset_v2.json`` (MIT): its entity types mapped to ours, split by
  a hash of the *template* id, so dev sentences come from templates never tuned on;
- a Faker-generated set (seeded, reproducible): international phone numbers, multi-line
  addresses and names from several locales, in templates split by hash the same way;
- benign text for false alarms: MMLU-Pro dev questions (numbers everywhere) and ShareGPT dev
  user turns (real chat).

A row is ``(text, [(type, start, end), ...])``.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import random
from collections.abc import Callable

from router_extproc.training import data

Row = tuple[str, list[tuple[str, int, int]]]

PRESIDIO_TYPES = {"PERSON": "PERSON", "STREET_ADDRESS": "ADDRESS", "CREDIT_CARD": "CREDIT_CARD", "PHONE_NUMBER": "PHONE",
                  "EMAIL_ADDRESS": "EMAIL", "IBAN_CODE": "IBAN", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS"}
"""presidio-research types -> ours. ``GPE`` (a city or country alone) and ``ZIP_CODE`` are not
PII types here, but they are parts of addresses: see ``NEUTRAL``."""

NEUTRAL = {"ADDRESS": frozenset({"GPE", "ZIP_CODE"})}
"""A predicted ADDRESS over a gold city or zip code (presidio labels the lines of one address
block separately) is neither right nor wrong: it is left out of precision."""


def in_dev(key: str) -> bool:
    """Half of the templates are dev, by hash."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 == 1


def presidio(data_dir: pathlib.Path, split: str) -> list[Row]:
    """Rows with gold spans; types outside ``PRESIDIO_TYPES`` keep their presidio name (so a
    prediction over an ORGANIZATION counts as a false alarm, over a GPE as neutral)."""
    return [row for row, _ in presidio_grouped(data_dir, split)]


def presidio_grouped(data_dir: pathlib.Path, split: str) -> list[tuple[Row, str]]:
    """``presidio`` rows with their template id (for cross-validation grouped by template)."""
    rows = json.loads((data_dir / "pii" / "synth_dataset_v2.json").read_text())
    return [((r["full_text"], [(PRESIDIO_TYPES.get(s["entity_type"], s["entity_type"]), s["start_position"],
                                s["end_position"]) for s in r["spans"]]), f"presidio-{r['template_id']}")
            for r in rows if in_dev(f"presidio-{r['template_id']}") == (split == "dev")]


# --- Faker-generated set -----------------------------------------------------------------

PHONE_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "en_AU", "en_IN", "sv_SE",
                 "pl_PL", "fi_FI", "cs_CZ", "da_DK", "de_CH", "en_CA", "ja_JP")
ADDRESS_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "en_AU", "sv_SE", "pl_PL",
                   "fi_FI", "cs_CZ", "da_DK", "de_CH", "en_CA")
NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "sv_SE", "pl_PL", "fi_FI",
                "cs_CZ", "hu_HU", "da_DK", "no_NO", "tr_TR", "en_IN", "en_IE")

TEMPLATES: dict[str, list[str]] = {
    "PHONE": [
        "Call me at {PHONE} after 6pm.", "My number is {PHONE}.", "Phone: {PHONE}", "You can reach me on {PHONE}.",
        "Tel. {PHONE} (office)", "Please text me at {PHONE} when you arrive.", "mobile: {PHONE}",
        "Our support line is {PHONE}, open 9-5.", "Can you call {PHONE} and ask for the manager?",
        "Fax: {PHONE}", "Contact number {PHONE} - ask for Sam.", "Is {PHONE} a valid phone number?",
        "WhatsApp {PHONE}", "If you need me, dial {PHONE}.", "Office: {PHONE}\nEmail: see below",
        "I changed my phone to {PHONE}, please update the account.", "{PHONE} is my cell",
        "The hotel's phone number is {PHONE}.", "Ring {PHONE} to book a table for four.",
        "Here is my contact: {PHONE}. Thanks!", "He left a voicemail from {PHONE} yesterday.",
        "Emergency contact: {PHONE}", "Please call back on {PHONE} before Friday.", "Tel: {PHONE} | Fax: none",
    ],
    "ADDRESS": [
        "I live at {ADDRESS}.", "My address is {ADDRESS}", "Ship it to {ADDRESS}, please.",
        "Billing address:\n{ADDRESS}", "We moved to {ADDRESS} last month.", "Send the letter to\n{ADDRESS}\nThanks!",
        "The office is located at {ADDRESS}.", "Deliver to: {ADDRESS}", "Is {ADDRESS} inside the delivery zone?",
        "Our new home: {ADDRESS}", "Please update my address to {ADDRESS}.", "Pick me up at {ADDRESS} at 7.",
        "Return address: {ADDRESS}", "The party is at {ADDRESS} on Saturday.",
        "Can you find a pharmacy near {ADDRESS}?", "Mailing address\n{ADDRESS}",
        "Invoice to {ADDRESS} (accounts payable).", "He grew up at {ADDRESS} with his sister.",
        "Shipping: {ADDRESS}", "Meet at {ADDRESS}, second floor.", "My parents still live on {ADDRESS}.",
        "Correct address is {ADDRESS}; the old one was wrong.",
    ],
    "PERSON": [
        "My name is {PERSON}.", "Hi, I'm {PERSON} from accounting.", "Dear {PERSON},\nthanks for your letter.",
        "Please forward this to {PERSON}.", "{PERSON} will join the call tomorrow.", "Signed: {PERSON}",
        "Best regards,\n{PERSON}", "I had lunch with {PERSON} yesterday.", "The patient, {PERSON}, reported pain.",
        "Can you write a birthday poem for {PERSON}?", "Contact person: {PERSON}", "Ask {PERSON} about the budget.",
        "{PERSON} was promoted to team lead.", "Meeting notes taken by {PERSON}.", "This is {PERSON} speaking.",
        "Our customer {PERSON} asked for a refund.", "Thanks to {PERSON} for the review!",
        "Write a reference letter for my colleague {PERSON}.", "From: {PERSON}\nSubject: invoice",
        "Is {PERSON} still working here?", "Please book a flight for {PERSON} to Berlin.",
        "Employee {PERSON} requested leave.",
    ],
    "MIXED": [
        "{PERSON}\n{ADDRESS}\nPhone: {PHONE}", "Name: {PERSON}, address: {ADDRESS}, tel {PHONE}",
        "Hello, this is {PERSON}. I live at {ADDRESS} and my number is {PHONE}.",
        "Please send the contract to {PERSON}, {ADDRESS}. Questions: {PHONE}.",
        "Kind regards,\n{PERSON}\n{PHONE}", "{PERSON} ({PHONE}) will sign for the parcel at {ADDRESS}.",
    ],
}


def _values(seed: int) -> dict[str, Callable[[], str]]:
    from faker import Faker

    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in sorted({*PHONE_LOCALES, *ADDRESS_LOCALES, *NAME_LOCALES})}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)

    def address() -> str:
        f = fakers[rng.choice(ADDRESS_LOCALES)]
        value = f.address() if rng.random() < 0.5 else f.street_address()
        return value.replace("\n", rng.choice(["\n", ", "]))

    def person() -> str:
        f = fakers[rng.choice(NAME_LOCALES)]
        return f.name() if rng.random() < 0.5 else f"{f.first_name()} {f.last_name()}"

    return {"PHONE": lambda: fakers[rng.choice(PHONE_LOCALES)].phone_number(), "ADDRESS": address, "PERSON": person}


def faker_set(split: str, n: int = 1500, seed: int = 5) -> list[Row]:
    """``n`` sentences from the split's templates, each value drawn from a random locale."""
    return [row for row, _ in faker_grouped(split, n, seed)]


def faker_grouped(split: str, n: int = 1500, seed: int = 5) -> list[tuple[Row, str]]:
    """``faker_set`` rows with their template (for cross-validation grouped by template)."""
    rng = random.Random(seed + (split == "dev"))
    values = _values(seed + 1000 * (split == "dev"))
    templates = [t for kind in TEMPLATES for t in TEMPLATES[kind] if in_dev(f"faker-{t}") == (split == "dev")]
    rows: list[tuple[Row, str]] = []
    for _ in range(n):
        template = rng.choice(templates)
        text, spans = "", []
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            kind, _, rest = after.partition("}")
            value = values[kind]()
            text += before
            spans.append((kind, len(text), len(text) + len(value)))
            text += value
        rows.append(((text + rest, spans), f"faker-{template}"))
    return rows


# --- benign text ---------------------------------------------------------------------------

def mmlu_questions(data_dir: pathlib.Path, split: str) -> list[str]:
    from router_extproc.training.train_difficulty import question_text

    return [question_text(r) for r in data.mmlu_pro(data_dir, split)]


def chat_user_turns(data_dir: pathlib.Path, split: str) -> list[str]:
    """User turns of ShareGPT conversations, whole (pasted documents included)."""
    path = data_dir / "chat" / f"sharegpt_{split}.jsonl.gz"
    return [t["text"] for row in data.read_jsonl(path) for t in row["turns"] if t["role"] == "user" and t["text"].strip()]
