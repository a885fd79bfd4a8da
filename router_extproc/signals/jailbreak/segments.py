"""What the jailbreak gate reads: each message on its own, cut into pieces a classifier can judge.

Every client-controlled message is scored on its own (system, developer, user, tool results,
replayed assistant turns), never the conversation as one text: a long benign history cannot
add up to a refusal, and a benign new turn is judged as itself. A message yields:
- piece 0, its *whole* text (head and tail kept up to ``WHOLE_TOKENS``): what most prompts are;
- for longer messages, overlapping ``WINDOW_TOKENS`` windows (stride ``WINDOW_STRIDE``, the
  last one aligned to the end, so no window is a stub): one injected sentence in a long
  pasted document is a large part of some window, not averaged away.
A short message with fewer than ``MIN_CONTENT_TOKENS`` word pieces that carry letters or digits
(``.``, ``...``, ``"``, ``ok``, ``continue``) yields nothing: such fragments mean nothing on
their own.

Training (``training/train_jailbreak*.py``) cuts its texts with the same functions, so the
classifiers learn the units they are asked about at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from router_extproc.encoder.tokenizer import WordPieceTokenizer, head_tail

WHOLE_TOKENS = 256
WINDOW_TOKENS = 64
WINDOW_STRIDE = 32
MIN_CONTENT_TOKENS = 2
SHORT_MESSAGE_TOKENS = 16
"""The content rule applies to messages shorter than this: a long run of symbols (Morse
code, an encoded payload) is still read."""
SECOND_STAGE_TOKENS = 128
"""The second stage reads at most this many tokens of a piece (head and tail kept), unless its
model says otherwise (``piece_tokens`` in its ``model.json``)."""


@dataclass(frozen=True)
class MessagePieces:
    """One message's pieces: 0 is the whole text, 1.. the windows (starting at ``starts``)."""

    message: int
    """Index of the message in the request."""
    ids: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return 1 + len(self.starts)

    def piece(self, k: int) -> np.ndarray:
        if k == 0:
            return head_tail(self.ids, WHOLE_TOKENS)
        start = int(self.starts[k - 1])
        return self.ids[start : start + WINDOW_TOKENS]


@lru_cache(maxsize=4)
def _content_mask(tokenizer: WordPieceTokenizer) -> np.ndarray:
    """Per vocabulary id: does the word piece carry a letter or digit (not punctuation, not [UNK])?"""
    vocab = tokenizer.vocab()
    mask = np.zeros(max(vocab.values()) + 1, dtype=bool)
    for piece, index in vocab.items():
        text = piece[2:] if piece.startswith("##") else piece
        special = piece.startswith("[") and piece.endswith("]")
        mask[index] = not special and any(ch.isalnum() for ch in text)
    return mask


def too_short(ids: np.ndarray, tokenizer: WordPieceTokenizer) -> bool:
    """A fragment too short to mean anything on its own: ``.``, ``...``, ``"``, ``ok!``."""
    if len(ids) >= SHORT_MESSAGE_TOKENS:
        return False
    return int(_content_mask(tokenizer)[ids].sum()) < MIN_CONTENT_TOKENS


def window_starts(length: int) -> np.ndarray:
    """Starts of the overlapping windows of a ``length``-token message (none when it is short)."""
    if length <= 2 * WINDOW_TOKENS:
        return np.zeros(0, dtype=np.int64)
    starts = np.arange(0, length - WINDOW_TOKENS, WINDOW_STRIDE)
    if starts[-1] != length - WINDOW_TOKENS:
        starts = np.append(starts, length - WINDOW_TOKENS)
    return starts


def message_pieces(index: int, ids: np.ndarray, tokenizer: WordPieceTokenizer) -> MessagePieces | None:
    """The pieces of one message the gate scores (None for an empty or too-short message)."""
    if len(ids) == 0 or too_short(ids, tokenizer):
        return None
    return MessagePieces(index, ids, window_starts(len(ids)))
