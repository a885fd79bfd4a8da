"""One row per check: what was measured, against which target, met or not; printed as one table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    section: str
    test: str
    n: int
    """Requests (or writes, or uploads) the row is measured on."""
    result: str
    target: str = ""
    met: bool | None = None
    """None: a figure without a target."""
    met_untimed: bool | None = None
    """The verdict without wall-clock targets (what the fast subset in ``make test`` asserts:
    timings on a shared machine belong in the table, not in a test). None: same as ``met``."""

    @property
    def verdict_untimed(self) -> bool | None:
        return self.met if self.met_untimed is None else self.met_untimed


def table(rows: list[Row]) -> str:
    lines = ["| section | test | n | measured | target | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**NO**")
        lines.append(f"| {row.section} | {row.test} | {row.n} | {row.result} | {row.target} | {met} |")
    return "\n".join(lines)


def failed(rows: list[Row]) -> list[Row]:
    return [row for row in rows if row.met is False]
