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


def write_signal_parameter(path: pathlib.Path, signal: str, parameter: str, value: float) -> None:
    """Set ``parameter: value`` in ``signals.<signal>`` of a policy YAML file, keeping the rest of
    the file as it is (block style ``signal:`` + indented keys, or flow style ``signal: {...}``)."""
    lines = path.read_text().splitlines(keepends=True)
    formatted = f"{value:.4f}".rstrip("0").rstrip(".")
    in_signals, signals_indent = False, -1
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if re.match(r"signals:\s*(#.*)?$", stripped) and indent == 0:
            in_signals, signals_indent = True, indent
            continue
        if in_signals and stripped and not stripped.startswith("#") and indent <= signals_indent:
            break
        if not in_signals:
            continue
        flow = re.match(rf"(\s*){re.escape(signal)}:\s*\{{(.*)\}}\s*(#.*)?$", line.rstrip("\n"))
        if flow:
            items = [x.strip() for x in flow.group(2).split(",") if x.strip() and not x.strip().startswith(f"{parameter}:")]
            comment = f"  {flow.group(3)}" if flow.group(3) else ""
            lines[i] = f"{flow.group(1)}{signal}: {{{', '.join([*items, f'{parameter}: {formatted}'])}}}{comment}\n"
            path.write_text("".join(lines))
            return
        if re.match(rf"{re.escape(signal)}:\s*(#.*)?$", stripped):
            child = indent + 2
            end = i + 1
            while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) >= child):
                if re.match(rf"\s{{{child}}}{parameter}:", lines[end]):
                    lines[end] = re.sub(rf"({parameter}:\s*)[^#\n]*", rf"\g<1>{formatted}", lines[end], count=1)
                    path.write_text("".join(lines))
                    return
                end += 1
            lines.insert(i + 1, " " * child + f"{parameter}: {formatted}\n")
            path.write_text("".join(lines))
            return
    raise ValueError(f"signals.{signal} not found in {path}")
