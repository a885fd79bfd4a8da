"""The short model: which pieces it learns from, and that the shipped one is what the runtime reads."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from router_extproc.signals.jailbreak.second_stage import STAGE2_DIR
from router_extproc.training import train_jailbreak_short as short


@given(st.lists(st.tuples(st.integers(1, 80), st.integers(0, 1)), max_size=40))
def test_the_short_model_learns_from_the_pieces_it_will_read(rows: list[tuple[int, int]]) -> None:
    pieces = [np.full(n, i, dtype=np.int64) for i, (n, _) in enumerate(rows)]
    labels = np.array([y for _, y in rows], dtype=int)
    kept, kept_labels = short.short_subset(pieces, labels)
    assert [int(p[0]) for p in kept] == [i for i, (n, _) in enumerate(rows) if n < short.SHORT_BELOW_TOKENS]
    assert kept_labels.tolist() == [y for n, y in rows if n < short.SHORT_BELOW_TOKENS]


def test_the_shipped_short_model_is_the_one_the_training_describes() -> None:
    meta = json.loads((STAGE2_DIR / "model.json").read_text())["short_model"]
    assert (STAGE2_DIR / meta["file"]).is_file()
    assert meta["below_tokens"] == short.SHORT_BELOW_TOKENS
    assert meta["layers"] == short.SHORT_LAYERS
    assert meta["epochs"] == short.SHORT_EPOCHS
