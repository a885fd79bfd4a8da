"""``router-extproc eval-pii``: precision / recall per PII type.

Sets: (1) presidio-research's synthetic sentences (``../shared/data/pii``), their entity
types mapped to ours; (2) a labelled set generated here with Faker (seeded, reproducible):
one PII value per sentence in varied templates; (3) false alarms on MMLU-Pro dev questions,
which are full of numbers, for the structured types. A prediction counts as correct when it
overlaps a gold span of the same type.
"""

from __future__ import annotations

import json
import pathlib
import random
from collections import Counter

from ..pii import PiiDetector
from . import data

PRESIDIO_TYPES = {"PERSON": "PERSON", "STREET_ADDRESS": "ADDRESS", "CREDIT_CARD": "CREDIT_CARD", "PHONE_NUMBER": "PHONE",
                  "EMAIL_ADDRESS": "EMAIL", "IBAN_CODE": "IBAN", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS"}
STRUCTURED = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET")


def faker_set(n: int = 1200, seed: int = 5) -> list[tuple[str, list[tuple[str, int, int]]]]:
    from faker import Faker

    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
    Faker.seed(seed)
    rng = random.Random(seed)
    values = {
        "EMAIL": lambda: fake.email(),
        "PHONE": lambda: rng.choice([fake["en_US"].phone_number, lambda: "+44 " + fake["en_GB"].msisdn()[2:6] + " " +
                                     fake["en_GB"].msisdn()[6:12], lambda: "+1 (555) " + str(rng.randint(200, 999)) +
                                     "-" + str(rng.randint(1000, 9999))])(),
        "CREDIT_CARD": lambda: fake.credit_card_number(),
        "IBAN": lambda: fake.iban(),
        "US_SSN": lambda: fake["en_US"].ssn(),
        "IP_ADDRESS": lambda: rng.choice([fake.ipv4, fake.ipv6])(),
        "SECRET": lambda: rng.choice(["sk-" + fake.pystr(40, 40), "AKIA" + fake.pystr(16, 16).upper(),
                                      "ghp_" + fake.pystr(36, 36)]),
        "PERSON": lambda: fake["en_US"].name() if rng.random() < 0.6 else fake.first_name() + " " + fake.last_name(),
        "ADDRESS": lambda: fake["en_US"].street_address(),
    }
    templates = [
        "Please update my record, the value is {v}.", "Can you check {v} for me?", "Contact: {v}",
        "I wrote {v} on the form yesterday, is that right?", "{v} is what the bank asked about.",
        "Here are the details you wanted -> {v} <- thanks!", "Send the invoice to {v} before Friday.",
        "my info: {v}", "Is {v} formatted correctly?", "Note from the meeting: {v} needs a follow-up.",
    ]
    cues = {"PHONE": "Call me at {v}.", "US_SSN": "My SSN is {v}.", "PERSON": "My name is {v}.",
            "ADDRESS": "I live at {v}.", "SECRET": "api_key = {v}"}
    rows = []
    for i in range(n):
        kind = list(values)[i % len(values)]
        value = values[kind]()
        template = cues[kind] if kind in cues and rng.random() < 0.4 else rng.choice(templates)
        start = template.index("{v}")
        rows.append((template.replace("{v}", value), [(kind, start, start + len(value))]))
    return rows


def presidio_set(data_dir: pathlib.Path) -> list[tuple[str, list[tuple[str, int, int]]]]:
    rows = json.loads((data_dir / "pii" / "synth_dataset_v2.json").read_text())
    return [(r["full_text"], [(PRESIDIO_TYPES[s["entity_type"]], s["start_position"], s["end_position"])
                              for s in r["spans"] if s["entity_type"] in PRESIDIO_TYPES]) for r in rows]


def score(detector: PiiDetector, rows) -> dict[str, dict[str, float]]:
    tp_pred, n_pred, tp_gold, n_gold = Counter(), Counter(), Counter(), Counter()
    for text, gold in rows:
        predicted = detector.find(text)
        for p in predicted:
            n_pred[p.type] += 1
            tp_pred[p.type] += any(g[0] == p.type and g[1] < p.end and p.start < g[2] for g in gold)
        for g in gold:
            n_gold[g[0]] += 1
            tp_gold[g[0]] += any(p.type == g[0] and g[1] < p.end and p.start < g[2] for p in predicted)
    out = {}
    for kind in sorted(set(n_pred) | set(n_gold)):
        out[kind] = {"precision": round(tp_pred[kind] / n_pred[kind], 3) if n_pred[kind] else None,
                     "recall": round(tp_gold[kind] / n_gold[kind], 3) if n_gold[kind] else None,
                     "predicted": n_pred[kind], "gold": n_gold[kind]}
    return out


def evaluate(data_dir: pathlib.Path) -> dict:
    detector = PiiDetector()
    report = {
        "presidio synth_dataset_v2": score(detector, presidio_set(data_dir)),
        "faker generated (seed 5, n=1200)": score(detector, faker_set()),
    }
    from .train_difficulty import question_text

    questions = [question_text(r) for r in data.mmlu_pro(data_dir, "dev")]
    alarms = Counter(s.type for q in questions for s in PiiDetector(STRUCTURED).find(q))
    report["MMLU-Pro dev false alarms (structured types)"] = {"questions": len(questions), **dict(alarms)}
    print(json.dumps(report, indent=2))
    return report
