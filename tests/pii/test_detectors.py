"""Per-type behaviour: international phones, address blocks, person cues at word boundaries."""

from __future__ import annotations

import pytest

from router_extproc.pii import PiiDetector, rx
from router_extproc.pii.person import _cues

DETECTOR = PiiDetector()


def found(text: str, kind: str) -> list[str]:
    return [text[s.start:s.end] for s in DETECTOR.find(text) if s.type == kind]


@pytest.mark.parametrize("phone", [
    "+1 (555) 201-3344", "+44 20 7946 0958", "+49 (0) 9141 777631", "+33 1 83 41 77 76", "0490 75 40 81",
    "01.84.17.61.18", "(0161) 4960066", "080-9141-7776", "+41 (0)38 549 02 90", "(898)666-3621x0135", "00420 702 914 177",
])
def test_international_formats_are_phones(phone: str) -> None:
    assert found(f"Reach me on {phone} tomorrow.", "PHONE") == [phone]


@pytest.mark.parametrize("phone", ["450 0840", "60-56-85-91", "9498777106"])
def test_short_or_bare_numbers_need_a_cue(phone: str) -> None:
    assert found(f"Phone: {phone}", "PHONE") == [phone]
    assert found(f"The total was {phone} units.", "PHONE") == []


@pytest.mark.parametrize("text", [
    "Logged at 2024-03-05T10:15:00Z by the job.", "Between 2024-03-05 10:15 and 2024-03-06 11:00.",
    "On 05/03/2024 14:30 the server restarted.", "The range 1990-2000 and 12345 + 67890 - 13579.",
])
def test_date_times_and_arithmetic_are_not_phones(text: str) -> None:
    assert found(text, "PHONE") == []


@pytest.mark.parametrize("text, address", [
    ("I live at 12 Oak Street, Springfield, IL 62704.", "12 Oak Street, Springfield, IL 62704"),
    ("Kvarngatan 40\n28124 Lidingö", "Kvarngatan 40\n28124 Lidingö"),
    ("Ship to Via Roma 131, 00184 Roma (RM) please", "Via Roma 131, 00184 Roma (RM)"),
    ("435, rue de Samson\n58396 Sainte Virginie", "435, rue de Samson\n58396 Sainte Virginie"),
    ("Daniela lives at 92597 Jahu 80, Liiva", "92597 Jahu 80, Liiva"),
    ("USS Lorenzen\nFPO AE 25990", "USS Lorenzen\nFPO AE 25990"),
    ("Billing:\n1593 Pagari 18 Suite 932\nPõlluküla\nSA\n93318", "1593 Pagari 18 Suite 932\nPõlluküla\nSA\n93318"),
])
def test_address_blocks_are_one_span(text: str, address: str) -> None:
    assert found(text, "ADDRESS") == [address]


@pytest.mark.parametrize("text", [
    "Windows 10, Excel, Word", "Python 3, Java 8 and Go", "20 Most Common Words", "Spring 2021\nIn the early days",
    "I walked 3 miles down the road", "Place the 3 eggs in a bowl", "connected via DisplayPort 1.4 via Thunderbolt.",
])
def test_not_addresses(text: str) -> None:
    assert found(text, "ADDRESS") == []


def test_name_cues_start_at_a_word_boundary() -> None:
    text = "these gems. Look nice; Dear Anna, and Ms. Berg"
    cues = _cues(text, rx.Budget())
    assert text.index("Look") not in cues
    assert cues[text.index("Anna")] and cues[text.index("Berg")]


def test_person_names() -> None:
    assert found("My name is John Smith and I live in Ohio.", "PERSON") == ["John Smith"]
    assert found("Please forward this to Kristíana R Valbergsdóttir.", "PERSON") == ["Kristíana R Valbergsdóttir"]
    assert found("F. Fidel Castro", "PERSON") in (["Fidel Castro"], [])  # the option letter is never part of it


def test_a_number_in_parentheses_at_the_end_is_not_an_area_code() -> None:
    assert found("F. 75 - 0.5244(14)\nG. 75 + 0.4756(14)", "PHONE") == []
