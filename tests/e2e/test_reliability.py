"""The reliability suite's fast subset (``bench/reliability``, full run: ``make reliability``):
every section on small sizes through the real Envoy and router. Wall-clock targets are
measured and printed there, not asserted here."""

from __future__ import annotations

import pytest

from bench.reliability.report import table
from bench.reliability.suite import FAST, run, suite_stack

pytestmark = pytest.mark.e2e


def test_fast_subset_meets_every_untimed_target(tmp_path) -> None:
    with suite_stack(tmp_path) as stack:
        rows = run(stack, tmp_path, FAST, progress=lambda text: None)
    missed = [row for row in rows if row.verdict_untimed is False]
    assert not missed, "\n" + table(missed)
    sections = {row.section for row in rows}
    assert {"fuzzing", "security", "faults", "resources"} <= sections
