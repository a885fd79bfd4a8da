"""Strings full of numbers and capitals that are not PII."""

from __future__ import annotations

import pytest

from router_extproc.pii import PiiDetector

DETECTOR = PiiDetector()

BENIGN = [
    "The job started at 2024-03-05T10:15:00Z and ended 2024-03-05 12:20:39.",
    "Timestamps: 2023-11-30 09:49:12.123456+01:00, 20240305101500, 1709633700.",
    "Upgrade from version 1.2.3.4 to v10.15.7 (build 2024.03.1).",
    "Compute 3.14159265 * 2.71828182 and round to 0.0001.",
    "Solve 12345 + 67890 - 13579 = ? and 1 2 3 4 5 6 7 8 9 are digits.",
    "Matrix rows: [1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13, 14].",
    "Sales grew from 1,240,000 to 1,870,500 between 1990-2000 and 2001-2010.",
    "These gems. Look nice on the shelf.",
    "The paper (2019) on page 1234-1250 cites ISBN 978-3-16-148410-0.",
    "The UUID is 123e4567-e89b-12d3-a456-426614174000 and the hash is d41d8cd98f00b204e9800998ecf8427e.",
    "Coordinates 40.7128, -74.0060; temperature 98.6 F; ratio 16:9.",
    "Run pip install numpy==1.26.4 then python -m pytest -q tests/ on port 8080.",
    "Dates: 12/05/2023, 05.12.2023 and 2023/12/05 are the same day.",
    "A 95% interval is 0.41-0.47; p < 0.001 with n = 12 000.",
    "Section 4.2.1.3 of RFC 7231 describes GET; see also 3.4.5.6.7.8.",
]


@pytest.mark.parametrize("text", BENIGN)
def test_no_pii_in_benign_text(text: str) -> None:
    assert DETECTOR.find(text) == [], [(s.type, text[s.start:s.end]) for s in DETECTOR.find(text)]
