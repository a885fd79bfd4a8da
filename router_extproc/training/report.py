"""Small helpers for the dev-set reports the training commands print."""

from __future__ import annotations

import json
from typing import Any


def print_report(title: str, metrics: dict[str, Any]) -> None:
    print(f"\n== {title} ==")
    print(json.dumps(metrics, indent=2))
