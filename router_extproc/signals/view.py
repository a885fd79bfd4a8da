"""The per-request shared pass: normalise and tokenize each message once, embed lazily once.

Long-prompt policy (documented in docs/signals.md):
- every message is normalised (evasion tricks undone) and tokenized once, up to 4096 tokens
  (head 3/4 and tail 1/4 kept beyond that); beyond the cut, tokens are estimated from chars;
- ``focus`` (domain, difficulty, similarity): the last user turn (up to 192 tokens) and the
  earlier user turns, most recent first, up to 256 tokens in all: the conversation, not only
  the last message;
- ``chunks`` (jailbreak): every message, concatenated (at most 4096 tokens, head and tail kept),
  cut into 256-token chunks plus overlapping 32-token windows: a signal that must read the
  whole text reads it piece by piece.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..encoder.tokenizer import CHARS_PER_TOKEN_BOUND, head_tail
from ..features import Featurizer, TextFeatures
from ..normalize import Normalized, normalize
from ..openai_request import ParsedRequest

MESSAGE_TOKEN_CAP = 4096
CONVERSATION_TOKEN_CAP = 4096
FOCUS_TOKENS = 256
LAST_TURN_TOKENS = 192
CHARS_PER_TOKEN = 4
PER_MESSAGE_TOKENS = 4
"""Tokens a chat template adds per turn (role markers, separators)."""


class RequestView:
    def __init__(self, request: ParsedRequest, featurizer: Featurizer) -> None:
        self.request = request
        self._featurizer = featurizer

    @cached_property
    def _normalized(self) -> list[Normalized]:
        """Done on first use: a keyword-only policy never pays for it."""
        return [normalize(m.text) for m in self.request.messages]

    @cached_property
    def texts(self) -> list[str]:
        return [n.text for n in self._normalized]

    @cached_property
    def tricks(self) -> frozenset[str]:
        return frozenset().union(*(n.tricks for n in self._normalized))

    @cached_property
    def message_ids(self) -> list[np.ndarray]:
        tokenizer = self._featurizer.tokenizer
        return [tokenizer.ids(text, MESSAGE_TOKEN_CAP) if text else np.zeros(0, np.int32) for text in self.texts]

    @cached_property
    def prompt_tokens(self) -> int:
        """Tokens of the prompt: exact up to the per-message cap, estimated beyond it."""
        total = 0
        for text, ids in zip(self.texts, self.message_ids, strict=True):
            total += len(ids)
            if len(ids) >= MESSAGE_TOKEN_CAP or len(text) > MESSAGE_TOKEN_CAP * CHARS_PER_TOKEN_BOUND:
                total += max(0, len(text) // CHARS_PER_TOKEN - len(ids))  # cut: estimate the rest
        return total + PER_MESSAGE_TOKENS * len(self.texts)

    @cached_property
    def focus_ids(self) -> np.ndarray:
        user = [ids for ids, m in zip(self.message_ids, self.request.messages, strict=True) if m.role == "user"]
        if not user:
            user = [ids for ids in self.message_ids if len(ids)]
        if not user:
            return np.zeros(0, np.int32)
        last = head_tail(user[-1], LAST_TURN_TOKENS)
        parts, budget = [last], FOCUS_TOKENS - len(last)
        for earlier in reversed(user[:-1]):
            if budget <= 0:
                break
            parts.insert(0, earlier[-budget:])
            budget -= len(parts[0])
        return np.concatenate(parts)

    @cached_property
    def focus(self) -> TextFeatures:
        return self._featurizer.from_ids(self.focus_ids)

    @cached_property
    def last_user_features(self) -> TextFeatures:
        """The last user turn alone (the difficulty memory was built from single questions)."""
        for ids, m in zip(reversed(self.message_ids), reversed(self.request.messages), strict=True):
            if m.role == "user":
                return self._featurizer.from_ids(ids[:FOCUS_TOKENS])
        return self.focus

    @cached_property
    def chunks(self) -> list[TextFeatures]:
        """The whole conversation cut for the jailbreak gate (see ``signals.jailbreak.chunk_ids``)."""
        from .jailbreak import chunk_ids

        ids = np.concatenate(self.message_ids) if self.message_ids else np.zeros(0, np.int32)
        ids = head_tail(ids, CONVERSATION_TOKEN_CAP)
        return [self._featurizer.from_ids(piece) for piece in chunk_ids(ids)]
