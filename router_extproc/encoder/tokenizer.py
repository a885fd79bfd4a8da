"""WordPiece tokenization with the Rust ``tokenizers`` core, once per request.

The shipped tokenizer.json pads and truncates to 128 tokens; both are switched off here
and the caller chooses its token budget. Very long texts are cut by characters first, so
a 2 MiB prompt never costs a 2 MiB tokenization.
"""

from __future__ import annotations

import numpy as np
from tokenizers import Tokenizer

from .assets import tokenizer_path

CLS_ID, SEP_ID, PAD_ID, UNK_ID = 101, 102, 0, 100
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

    def ids(self, text: str, max_tokens: int | None = None) -> np.ndarray:
        """Token ids without [CLS]/[SEP]; with ``max_tokens``, the head and tail are kept."""
        if max_tokens is not None and len(text) > max_tokens * CHARS_PER_TOKEN_BOUND:
            keep = max_tokens * CHARS_PER_TOKEN_BOUND
            text = text[: keep * 3 // 4] + " " + text[-keep // 4 :]
        ids = np.asarray(self._tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int32)
        return head_tail(ids, max_tokens) if max_tokens is not None else ids

    def ids_batch(self, texts: list[str]) -> list[np.ndarray]:
        return [np.asarray(e.ids, dtype=np.int32) for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)]

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
