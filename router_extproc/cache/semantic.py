"""When two last user turns are the same request: the semantic half of the cache key.

Everything else that changes an answer (tenant, model, system prompt, tools, sampling, the
conversation before the turn) must match exactly: it is the partition. Inside a partition a
stored turn answers a new one when all of these hold:

1. the cosine of their static embeddings (the shared view's, from the request's one
   tokenization: no second encoder pass) reaches ``threshold``;
2. their numbers are the same, in the same order ("12 x 7" and "12 x 8" embed alike);
3. their negations are the same ("can" and "can't" differ by a lone "t") and so are their
   mixed-case words ("DdGg" and "ddgg" tokenize alike);
4. their content words, in order, are one sequence but for at most ``max_edits`` words added
   or dropped, and at most ``max_novelty`` of them (edits over the two lengths), once function
   words, greetings and punctuation are set aside. Another noun is two edits (one out, one
   in), so is a swapped option or a reversed order; "a poem" and "a long poem" differ by a
   third of their content.

A mean of token vectors cannot tell "cats" from "dogs" or A-then-B from B-then-A: the lexical
checks carry the precision, the embedding only finds candidates. So the cache forgives case,
spacing, punctuation, politeness and function words, and little else. A turn longer than
``max_tokens`` (the embedding reads 256) or with unknown tokens is served by exact match only.
Thresholds are measured by ``router-extproc eval-cache`` on labelled pairs (docs/cache.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from router_extproc.encoder.features import Featurizer
from router_extproc.encoder.tokenizer import UNK_ID

FUNCTION_WORDS = frozenset(["a", "an", "the", "and", "or", "but", "if", "then", "so", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "into", "about", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "have", "has", "had", "i", "me", "my", "we", "our", "us", "you", "your", "he", "him", "his", "she", "her", "it", "its", "they", "them", "their", "this", "that", "these", "those", "there", "here", "what", "which", "who", "whom", "how", "why", "when", "where", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "please", "kindly", "thanks", "thank", "thx", "hi", "hello", "hey", "dear", "just", "also", "very", "really", "quite", "some", "any", "s", "ll", "re", "ve", "d", "m"])
"""Words a rephrasing adds or drops without changing the request (negations are not here)."""
NEGATIONS = frozenset(["not", "no", "never", "nor", "none", "nothing", "nobody", "neither", "without", "cannot", "t", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "wouldn", "shouldn", "couldn", "hasn", "haven", "hadn", "mustn", "needn", "ain"])
"""Their sequence must match exactly (``t`` is what is left of "n't")."""
PUNCTUATION = frozenset(".,;:!?'\"()[]{}`“”‘’…—–_")
"""Pieces made only of these are set aside; operators (= < > + - * / ^ %) stay content."""
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Probe:
    """What the semantic lookup keeps of a last turn."""

    vector: np.ndarray
    """Unit static embedding."""
    content: tuple[int, ...]
    """Token ids in order, function words and punctuation set aside."""
    numbers: tuple[str, ...]
    """The digit runs of the client's text, in order (read before normalisation, which maps
    "10kg" to "iokg" against leetspeak)."""
    literals: tuple[str, ...]
    """Negations and words with a capital after their first lower-case-mixed letter
    (``DdGg``, ``iPhone``), in order: they must match exactly."""

    def lexical(self) -> dict[str, list]:
        """The lexical part, as stored beside the answer (JSON)."""
        return {"content": list(self.content), "numbers": list(self.numbers), "literals": list(self.literals)}

    @classmethod
    def from_lexical(cls, vector: np.ndarray, lexical: dict) -> Probe:
        return cls(vector, tuple(lexical.get("content", ())), tuple(lexical.get("numbers", ())),
                   tuple(lexical.get("literals", ())))


def pack_vector(vector: np.ndarray) -> bytes:
    """int8 with a per-vector scale (cosine error ~1e-3): 256 bytes a candidate in the store."""
    peak = float(np.max(np.abs(vector))) if len(vector) else 0.0
    scale = 127.0 / peak if peak > 0 else 0.0
    return np.round(vector * scale).astype(np.int8).tobytes()


def unpack_vectors(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    """Stored candidates as unit rows (a malformed blob becomes a zero row: never a match)."""
    matrix = np.zeros((len(blobs), dim), dtype=np.float32)
    for row, blob in enumerate(blobs):
        if len(blob) == dim:
            matrix[row] = np.frombuffer(blob, dtype=np.int8)
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    return matrix / norms[:, None]


def lcs_length(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004): one big-integer
    step per item of ``b``, so two 256-token turns cost ~0.1 ms."""
    if not a or not b:
        return 0
    masks: dict[int, int] = {}
    for i, item in enumerate(a):
        masks[item] = masks.get(item, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for item in b:
        u = v & masks.get(item, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def edits(a: Sequence[int], b: Sequence[int]) -> int:
    """Words to add or drop to turn one content sequence into the other."""
    return len(a) + len(b) - 2 * lcs_length(a, b)


class Matcher:
    def __init__(self, featurizer: Featurizer, threshold: float, max_edits: int, max_novelty: float) -> None:
        self.threshold = threshold
        self.max_edits = max_edits
        self.max_novelty = max_novelty
        self.dim = featurizer.static.dim
        vocab = featurizer.tokenizer.vocab()
        size = max(vocab.values()) + 1
        self._content = np.ones(size, dtype=bool)
        self._negation = np.zeros(size, dtype=bool)
        for token, index in vocab.items():
            piece = token.removeprefix("##")
            self._negation[index] = token in NEGATIONS
            if token in FUNCTION_WORDS or (piece and all(ch in PUNCTUATION for ch in piece)):
                self._content[index] = False

    def probe(self, ids: np.ndarray, vector: np.ndarray, text: str) -> Probe | None:
        """The probe of a last turn: the shared view's token ids and static embedding of it, and
        the client's own text. None when it holds tokens the vocabulary does not know (they would
        all look alike)."""
        ids = np.asarray(ids, dtype=np.int64)
        if (ids == UNK_ID).any() or (ids >= len(self._content)).any():
            return None
        mixed = [w for w in _WORD.findall(text) if any(ch.isupper() for ch in w[1:]) and any(ch.islower() for ch in w)]
        negations = [str(i) for i in ids[self._negation[ids]]]
        return Probe(np.asarray(vector, dtype=np.float32), tuple(int(i) for i in ids[self._content[ids]]),
                     tuple(_DIGITS.findall(text)), (*negations, "|", *mixed))

    def quantized(self, vector: np.ndarray) -> np.ndarray:
        """A vector as the store keeps it, so a turn matches its own stored copy."""
        return unpack_vectors([pack_vector(vector)], self.dim)[0]

    def ranked(self, probe: Probe, blobs: Sequence[bytes], limit: int = 3) -> list[tuple[int, float]]:
        """Indices of stored candidates at or above the threshold, best first (at most ``limit``)."""
        if not blobs:
            return []
        scores = unpack_vectors(blobs, self.dim) @ self.quantized(probe.vector)
        order = np.argsort(-scores)[:limit]
        return [(int(i), float(scores[i])) for i in order if scores[i] >= self.threshold]

    def same(self, probe: Probe, stored: Probe, cosine: float) -> bool:
        """The whole test, once a candidate's cosine is known."""
        if cosine < self.threshold or probe.numbers != stored.numbers or probe.literals != stored.literals:
            return False
        changed = edits(probe.content, stored.content)
        total = len(probe.content) + len(stored.content)
        return changed <= self.max_edits and (changed == 0 or changed <= self.max_novelty * total)
