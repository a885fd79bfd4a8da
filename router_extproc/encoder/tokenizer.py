"""WordPiece tokenization with the Rust ``tokenizers`` core, once per request.

The shipped tokenizer.json pads and truncates to 128 tokens; both are switched off here
and the caller chooses its token budget. Very long texts are cut by characters first, so
a 2 MiB prompt never costs a 2 MiB tokenization.
"""

from __future__ import annotations

import numpy as np
from tokenizers import Tokenizer

from router_extproc.encoder.assets import tokenizer_path

CLS_ID, SEP_ID, PAD_ID, UNK_ID = 101, 102, 0, 100
PARALLEL_CHARS = 16384
"""Texts longer than this are encoded in whitespace-cut pieces on the tokenizer's thread pool."""
CHARS_PER_TOKEN_BOUND = 12
"""No WordPiece token covers more characters than this in practice: a char cut at
``budget * 12`` never drops a token that the budget would keep."""


def head_tail(ids: np.ndarray, max_tokens: int) -> np.ndarray:
    """Keep the first 3/4 and the last 1/4 of ``max_tokens``: openings and closings both matter."""
    if len(ids) <= max_tokens:
        return ids
    head = max_tokens * 3 // 4
    return np.concatenate([ids[:head], ids[len(ids) - (max_tokens - head) :]])


class WordPieceTokenizer:
    def __init__(self, path: str | None = None) -> None:
        self._tokenizer = Tokenizer.from_file(str(path or tokenizer_path()))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.vocab_size = self._tokenizer.get_vocab_size()
        self._tokenizer.encode_batch(["start", "the thread pool"])  # now, not on the first long prompt

    def ids(self, text: str, max_tokens: int | None = None) -> np.ndarray:
        """Token ids without [CLS]/[SEP]; with ``max_tokens``, the head and tail are kept."""
        return self.ids_cut(text, max_tokens)[0]

    def ids_cut(self, text: str, max_tokens: int | None = None) -> tuple[np.ndarray, bool]:
        """Like ``ids``, and whether anything was cut from the middle to fit ``max_tokens``."""
        cut = False
        if max_tokens is not None and len(text) > max_tokens * CHARS_PER_TOKEN_BOUND:
            keep = max_tokens * CHARS_PER_TOKEN_BOUND
            text, cut = text[: keep * 3 // 4] + " " + text[-keep // 4 :], True
        ids = self._encode(text)
        if max_tokens is None or len(ids) <= max_tokens:
            return ids, cut
        return head_tail(ids, max_tokens), True

    def _encode(self, text: str) -> np.ndarray:
        """Long texts are cut at whitespace into pieces encoded in parallel (the same ids: WordPiece
        never joins across whitespace)."""
        if len(text) <= PARALLEL_CHARS:
            return np.asarray(self._tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int32)
        pieces, start = [], 0
        while start < len(text):
            end = min(len(text), start + PARALLEL_CHARS // 2)
            if end < len(text):
                space = text.rfind(" ", start + PARALLEL_CHARS // 4, end)
                end = space if space > start else end
            pieces.append(text[start:end])
            start = end
        encoded = self._tokenizer.encode_batch(pieces, add_special_tokens=False)
        return np.concatenate([np.asarray(e.ids, dtype=np.int32) for e in encoded])

    def ids_batch(self, texts: list[str]) -> list[np.ndarray]:
        return [np.asarray(e.ids, dtype=np.int32) for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)]

    def vocab(self) -> dict[str, int]:
        """Word piece -> id (``##`` marks a piece that continues a word)."""
        return self._tokenizer.get_vocab()

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
