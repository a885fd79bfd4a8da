"""The per-request shared pass: normalise and tokenize each message once, embed lazily once.

Long-prompt policy (documented in docs/signals.md):
- every message is normalised (evasion tricks undone) and tokenized once: up to 4096 tokens
  each (head 3/4 and tail 1/4 kept), or, when the policy has a jailbreak gate, newest message
  first within the gate's per-request budget of characters (``scan_chars``: tokenization is
  what long prompts cost), so the gate reads every message whole; a message beyond its share
  keeps its head and tail and the request counts as not wholly scanned; other signals still
  read at most 4096 tokens of each message; tokens beyond a cut are estimated from chars;
- ``focus`` (domain, difficulty, similarity): the last user turn (up to 192 tokens) and the
  earlier user turns, most recent first, up to 256 tokens in all: the conversation, not only
  the last message;
- ``scan_ids`` (jailbreak): every message on its own, whole within the budget
  (see ``signals/jailbreak/segments.py`` for how the gate cuts it).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from router_extproc.deadline import NO_DEADLINE, Deadline
from router_extproc.encoder.features import Featurizer, TextFeatures
from router_extproc.encoder.tokenizer import CHARS_PER_TOKEN_BOUND, head_tail
from router_extproc.endpoints import ParsedRequest
from router_extproc.signals.normalize import Normalized, normalize

MESSAGE_TOKEN_CAP = 4096
FOCUS_TOKENS = 256
LAST_TURN_TOKENS = 192
CHARS_PER_TOKEN = 4
PER_MESSAGE_TOKENS = 4
"""Tokens a chat template adds per turn (role markers, separators)."""


class RequestView:
    def __init__(self, request: ParsedRequest, featurizer: Featurizer, scan_chars: int | None = None,
                 deadline: Deadline = NO_DEADLINE) -> None:
        self.request = request
        self._featurizer = featurizer
        self._scan_chars = scan_chars
        self.deadline = deadline
        """The request's deadline: signals check it between bounded steps."""

    @property
    def featurizer(self) -> Featurizer:
        """The shared tokenizer and static table (the cache reads the same vocabulary)."""
        return self._featurizer

    @cached_property
    def _allotted(self) -> tuple[list[str], bool]:
        """Each message's raw text cut to what will be read (newest first within the scan
        budget, else ``MESSAGE_TOKEN_CAP`` tokens' worth of characters), so normalising and
        tokenizing never cost more than the budget; and whether every message fits whole."""
        budget, complete = self._scan_chars, True
        out = [""] * len(self.request.messages)
        for index in range(len(out) - 1, -1, -1):
            text = self.request.messages[index].text
            allowed = MESSAGE_TOKEN_CAP * CHARS_PER_TOKEN_BOUND if budget is None else max(budget, 0)
            if len(text) > allowed:
                complete = complete and budget is None
                text = text[: allowed * 3 // 4] + " " + text[len(text) - allowed // 4 :] if allowed else ""
            out[index] = text
            if budget is not None:
                budget -= len(text)
        return out, complete

    @cached_property
    def _normalized(self) -> list[Normalized]:
        """Done on first use: a keyword-only policy never pays for it."""
        return [normalize(text) for text in self._allotted[0]]

    @cached_property
    def texts(self) -> list[str]:
        return [n.text for n in self._normalized]

    @cached_property
    def tricks(self) -> frozenset[str]:
        return frozenset().union(*(n.tricks for n in self._normalized))

    @cached_property
    def _scan(self) -> tuple[list[np.ndarray], bool]:
        """Each message's ids (of its allotted text); and whether every message was read whole."""
        tokenizer = self._featurizer.tokenizer
        cap = MESSAGE_TOKEN_CAP if self._scan_chars is None else None
        ids = [tokenizer.ids(text, cap) if text else np.zeros(0, np.int32) for text in self.texts]
        return ids, self._allotted[1] and all(n.complete for n in self._normalized)

    @property
    def scan_ids(self) -> list[np.ndarray]:
        """Per message: its token ids, whole unless the request is beyond the scan budget."""
        return self._scan[0]

    @property
    def scan_complete(self) -> bool:
        """False when some message text was cut or skipped to fit the budget, or a reading the
        normaliser appends (ROT13, backwards, upside down) did not fit its allowance."""
        return self._scan[1]

    @cached_property
    def message_ids(self) -> list[np.ndarray]:
        """Per message, at most ``MESSAGE_TOKEN_CAP`` tokens (head and tail): what most signals read."""
        return [head_tail(ids, MESSAGE_TOKEN_CAP) for ids in self.scan_ids]

    @cached_property
    def prompt_tokens(self) -> int:
        """Tokens of the prompt: exact up to the per-message cap, estimated beyond it."""
        total = 0
        cap = MESSAGE_TOKEN_CAP if self._scan_chars is None else None
        for message, read, ids in zip(self.request.messages, self._allotted[0], self.scan_ids, strict=True):
            whole = len(message.text) == len(read) and (cap is None or len(ids) < cap)
            # read whole: exact; cut: estimated from its characters
            total += len(ids) if whole else max(len(ids), len(message.text) // CHARS_PER_TOKEN)
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
