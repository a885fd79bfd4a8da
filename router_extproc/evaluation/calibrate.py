"""``router-extproc calibrate``: pick the threshold that meets a target, write it into the policy.

Targets: a strong-call share (at most), a cost budget (at most, USD for the set) or a quality
floor (at least). Among the sweep points that meet it, the best one: the highest quality for a
share or a budget, the lowest cost for a floor. The value is written into the YAML file by a
line edit inside the decision's block, so comments and key order stay as they were.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any


def choose(report: dict[str, Any], strong_share: float | None, max_cost: float | None,
           min_quality: float | None) -> dict[str, Any]:
    points = report["frontier"]
    if strong_share is not None:
        ok = [p for p in points if p["strong_share"] <= strong_share + 1e-9]
        key = lambda p: (p["quality"], -p["cost"])  # noqa: E731
    elif max_cost is not None:
        ok = [p for p in points if p["cost"] <= max_cost]
        key = lambda p: (p["quality"], -p["cost"])  # noqa: E731
    elif min_quality is not None:
        ok = [p for p in points if p["quality"] >= min_quality]
        key = lambda p: (-p["cost"], p["quality"])  # noqa: E731
    else:
        raise ValueError("give one target: --strong-share, --max-cost or --min-quality")
    if not ok:
        raise ValueError("no point of the sweep meets the target")
    return max(ok, key=key)


def write_threshold(path: pathlib.Path, decision: str, parameter: str, value: float) -> None:
    """Set ``parameter: value`` inside the named decision's block of a policy YAML file."""
    lines = path.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"\s*-\s*name:\s*['\"]?{re.escape(decision)}['\"]?\s*$", line)), None)
    if start is None:
        raise ValueError(f"decision {decision!r} not found in {path}")
    indent = len(lines[start]) - len(lines[start].lstrip(" ")) + 2
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) >= indent):
        end += 1
    formatted = f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "0"
    for i in range(start + 1, end):
        if re.match(rf"\s{{{indent}}}{parameter}:", lines[i]):
            lines[i] = re.sub(rf"({parameter}:\s*)[^#\n]*", rf"\g<1>{formatted}", lines[i], count=1)
            if not lines[i].rstrip().endswith(formatted):
                lines[i] = lines[i].rstrip("\n") + "\n"
            break
    else:
        lines.insert(end, " " * indent + f"{parameter}: {formatted}\n")
    path.write_text("".join(lines))
