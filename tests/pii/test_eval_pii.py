"""eval-pii: presidio types mapped to ours, city and zip lines neutral for addresses."""

from __future__ import annotations

from router_extproc.pii import PiiDetector
from router_extproc.training.eval_pii import score
from router_extproc.training.pii_data import PRESIDIO_TYPES, TEMPLATES, faker_set, in_dev


def test_presidio_types_cover_addresses_and_phones() -> None:
    assert PRESIDIO_TYPES["STREET_ADDRESS"] == "ADDRESS" and PRESIDIO_TYPES["PHONE_NUMBER"] == "PHONE"
    assert "GPE" not in PRESIDIO_TYPES and "ZIP_CODE" not in PRESIDIO_TYPES


def test_score_per_type_with_neutral_city_lines() -> None:
    text = "Write to 12 Oak Street\nSpringfield\nor call +44 20 7946 0958. Microsoft said so."
    street = text.index("12 Oak")
    city = text.index("Springfield")
    phone = text.index("+44")
    org = text.index("Microsoft")
    rows = [(text, [("ADDRESS", street, street + 13), ("GPE", city, city + 11), ("PHONE", phone, phone + 16),
                    ("ORGANIZATION", org, org + 9)])]
    table = score(PiiDetector(), rows)
    assert table["ADDRESS"] == {"precision": 1.0, "recall": 1.0, "gold": 1, "predicted": 1}
    assert table["PHONE"]["recall"] == 1.0
    assert "ORGANIZATION" not in table and "GPE" not in table


def test_generated_sets_split_templates_and_are_reproducible() -> None:
    train, dev = faker_set("train", 50), faker_set("dev", 50)
    assert faker_set("dev", 50) == dev
    templates = [t for kind in TEMPLATES for t in TEMPLATES[kind]]
    assert {in_dev(f"faker-{t}") for t in templates} == {True, False}
    assert not {text for text, _ in train} & {text for text, _ in dev}
