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


def _format(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "0"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The first line after ``start`` indented less than ``indent`` (blank lines belong to the block)."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= indent):
        end += 1
    return end


def _set_in_key(lines: list[str], start: int, end: int, indent: int, key: str, parameter: str, value: str) -> bool:
    """Set ``parameter: value`` inside the mapping ``key:`` found at ``indent`` in ``lines[start:end]``,
    written in flow style (``key: {a: 1}``) or block style (``key:`` + indented lines)."""
    for i in range(start, end):
        line = lines[i]
        if _indent(line) != indent:
            continue
        flow = re.match(rf"(\s*){re.escape(key)}:\s*\{{(.*)\}}\s*(#.*)?$", line.rstrip("\n"))
        if flow:
            items = [x.strip() for x in flow.group(2).split(",") if x.strip() and not x.strip().startswith(f"{parameter}:")]
            comment = f"  {flow.group(3)}" if flow.group(3) else ""
            lines[i] = f"{flow.group(1)}{key}: {{{', '.join([*items, f'{parameter}: {value}'])}}}{comment}\n"
            return True
        if re.match(rf"\s*{re.escape(key)}:\s*(#.*)?$", line):
            child_end = _block_end(lines, i, indent + 1)
            child = next((_indent(x) for x in lines[i + 1 : child_end] if x.strip()), indent + 2)
            for j in range(i + 1, child_end):
                if _indent(lines[j]) == child and re.match(rf"\s*{parameter}:", lines[j]):
                    lines[j] = re.sub(rf"({parameter}:\s*)[^#\n]*", rf"\g<1>{value}", lines[j], count=1)
                    if not lines[j].endswith("\n"):
                        lines[j] += "\n"
                    return True
            lines.insert(i + 1, " " * child + f"{parameter}: {value}\n")
            return True
    return False


def write_threshold(path: pathlib.Path, decision: str, parameter: str, value: float) -> None:
    """Set the strategy's ``parameter: value`` inside the named decision of a policy YAML file,
    keeping comments and key order (the old flat spelling is rewritten where it stands)."""
    lines = path.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines)
                  if re.match(rf"\s*-\s*name:\s*['\"]?{re.escape(decision)}['\"]?\s*(#.*)?$", line)), None)
    if start is None:
        raise ValueError(f"decision {decision!r} not found in {path}")
    indent = _indent(lines[start]) + 2
    end = _block_end(lines, start, indent)
    if not _set_in_key(lines, start + 1, end, indent, "strategy", parameter, _format(value)):
        raise ValueError(f"decision {decision!r} in {path} has no 'strategy' mapping to write {parameter} into")
    path.write_text("".join(lines))


def write_signal_parameter(path: pathlib.Path, signal: str, parameter: str, value: float) -> None:
    """Set ``parameter: value`` in ``signals.<signal>`` of a policy YAML file, keeping the rest of
    the file as it is (block style ``signal:`` + indented keys, or flow style ``signal: {...}``)."""
    lines = path.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"signals:\s*(#.*)?$", line)), None)
    if start is None:
        raise ValueError(f"signals.{signal} not found in {path}")
    end = _block_end(lines, start, 1)
    indent = next((_indent(x) for x in lines[start + 1 : end] if x.strip() and not x.strip().startswith("#")), 2)
    if not _set_in_key(lines, start + 1, end, indent, signal, parameter, _format(value)):
        raise ValueError(f"signals.{signal} not found in {path}")
    path.write_text("".join(lines))
