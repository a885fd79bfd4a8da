"""Labelled pairs of last user turns for the semantic cache: the same request, or a different one.

Built from the shared data, per split (tune on ``train``, report ``dev``):

different requests (a hit on one of them is a false hit)
- ``mmlu:options-replaced``: an MMLU-Pro question with one option taken from another question;
- ``mmlu:options-swapped``: the same question with two of its options in each other's place
  (the answer's letter moves);
- ``mmlu:number-changed``: the same question with one number changed;
- ``mmlu:neighbour``: the nearest other question of the split (static embedding);
- ``chat:neighbour``: a ShareGPT first user message and its nearest other first message whose
  words differ (hard negatives: templates with another slot, near-identical requests);
- ``chat:number-changed``: a first message with one number changed.

the same request (a miss on one of them is a lost hit)
- ``chat:repeat``: first messages of two different conversations that are equal once case,
  punctuation and spacing are ignored (real repeats: "Explain quantum computing in simple terms");
- ``mmlu:rephrased`` / ``chat:rephrased``: a surface rephrasing (politeness around the request,
  case, spacing, punctuation, contractions) made by rule here: synthetic, said so in the report.

Only turns the cache would read semantically are kept (at most ``max_tokens`` tokens); longer
ones are exact-match only and cannot false-hit.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

Pair = tuple[str, str]


@dataclass(frozen=True)
class LabelledPair:
    kind: str
    same: bool
    a: str
    b: str


DIFFERENT_KINDS = ("mmlu:options-replaced", "mmlu:options-swapped", "mmlu:number-changed", "mmlu:neighbour",
                   "chat:neighbour", "chat:number-changed")
SAME_KINDS = ("chat:repeat", "mmlu:rephrased", "chat:rephrased")

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORDS = re.compile(r"[\W_]+")
PREFIXES = ("Please answer this: ", "Hey, ", "Quick question: ", "Hi! ", "I was wondering, ", "Please help: ")
SUFFIXES = (" Thanks!", " Thank you.", " thanks", " Thanks in advance.", " :)")
CONTRACTIONS = (("what is", "what's"), ("do not", "don't"), ("it is", "it's"), ("i am", "i'm"),
                ("does not", "doesn't"), ("can not", "can't"), ("that is", "that's"))


def loose(text: str) -> str:
    """The text with case, punctuation and spacing ignored (what makes two messages a repeat)."""
    return _WORDS.sub(" ", text.lower()).strip()


def mmlu_prompt(question: str, options: list[str]) -> str:
    return question + "\n" + "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(options))


def change_number(text: str, rng: random.Random) -> str | None:
    """One number of ``text`` replaced by another (None when it has none)."""
    found = list(_NUMBER.finditer(text))
    if not found:
        return None
    match = rng.choice(found)
    old = match.group(0)
    if "." in old:
        whole, frac = old.split(".")
        new = f"{whole}.{(int(frac) + rng.randint(1, 9)) % (10 ** len(frac)):0{len(frac)}d}"
    else:
        new = str(int(old) + rng.choice([1, 2, 3, 5, 10]))
    return text[: match.start()] + new + text[match.end() :]


def rephrase(text: str, rng: random.Random) -> str:
    """A surface rephrasing: politeness around it, case, spacing, punctuation, contractions."""
    out = text
    for _ in range(rng.randint(1, 3)):
        move = rng.randrange(6)
        if move == 0:
            out = rng.choice(PREFIXES) + out[:1].lower() + out[1:]
        elif move == 1:
            out = out.rstrip() + rng.choice(SUFFIXES)
        elif move == 2:
            out = out.lower() if rng.random() < 0.5 else out[:1].upper() + out[1:]
        elif move == 3:
            out = re.sub(r" ", "  ", out, count=2) if rng.random() < 0.5 else out.strip().rstrip("?.!")
        elif move == 4:
            out = out.rstrip("?.!") + ("?" if rng.random() < 0.5 else ".")
        else:
            for long, short in CONTRACTIONS:
                if long in out.lower():
                    index = out.lower().index(long)
                    out = out[:index] + short + out[index + len(long):]
                    break
                if short in out.lower():
                    index = out.lower().index(short)
                    out = out[:index] + long + out[index + len(short):]
                    break
    return out


def _stable(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def nearest(texts: list[str], embed: Callable[[str], np.ndarray], skip: Callable[[str, str], bool]) -> list[Pair]:
    """Each text with its nearest other text by embedding, skipping pairs ``skip`` rejects."""
    if len(texts) < 2:
        return []
    matrix = np.stack([embed(t) for t in texts])
    scores = matrix @ matrix.T
    np.fill_diagonal(scores, -2.0)
    pairs = []
    for i, row in enumerate(scores):
        for j in np.argsort(-row)[:5]:
            if not skip(texts[i], texts[int(j)]):
                pairs.append((texts[i], texts[int(j)]))
                break
    return pairs


def mmlu_pairs(rows: list[dict], embed: Callable[[str], np.ndarray], seed: int = 0) -> list[LabelledPair]:
    rng = random.Random(seed)
    out: list[LabelledPair] = []
    prompts = []
    for index, row in enumerate(rows):
        question, options = row["question"], list(row["options"])
        if len(options) < 2:
            continue
        prompt = mmlu_prompt(question, options)
        prompts.append(prompt)
        donor = rows[(index + 1 + rng.randrange(len(rows) - 1)) % len(rows)]["options"]
        replaced = list(options)
        slot = rng.randrange(len(replaced))
        replaced[slot] = rng.choice(donor) if donor else replaced[slot]
        if replaced != options:
            out.append(LabelledPair("mmlu:options-replaced", False, prompt, mmlu_prompt(question, replaced)))
        i, j = rng.sample(range(len(options)), 2)
        swapped = list(options)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        if swapped != options:
            out.append(LabelledPair("mmlu:options-swapped", False, prompt, mmlu_prompt(question, swapped)))
        changed = change_number(question, rng)
        if changed is not None:
            out.append(LabelledPair("mmlu:number-changed", False, prompt, mmlu_prompt(changed, options)))
        out.append(LabelledPair("mmlu:rephrased", True, prompt, mmlu_prompt(rephrase(question, rng), options)))
    for a, b in nearest(prompts, embed, lambda x, y: loose(x) == loose(y)):
        out.append(LabelledPair("mmlu:neighbour", False, a, b))
    return out


def first_messages(conversations: Iterable[dict]) -> list[str]:
    out = []
    for conversation in conversations:
        user = next((t["text"] for t in conversation["turns"] if t["role"] == "user" and t["text"].strip()), None)
        if user is not None:
            out.append(user)
    return out


def chat_pairs(conversations: list[dict], embed: Callable[[str], np.ndarray], seed: int = 0,
               max_chars: int = 2000) -> list[LabelledPair]:
    rng = random.Random(seed)
    firsts = [t for t in first_messages(conversations) if len(t) <= max_chars]
    out: list[LabelledPair] = []
    groups: dict[str, list[str]] = defaultdict(list)
    for text in firsts:
        groups[loose(text)].append(text)
    for members in groups.values():
        members = sorted(members, key=_stable)
        out += [LabelledPair("chat:repeat", True, members[i], members[i + 1]) for i in range(len(members) - 1)]
    distinct = sorted({loose(t): t for t in firsts}.values(), key=_stable)
    for text in distinct:
        out.append(LabelledPair("chat:rephrased", True, text, rephrase(text, rng)))
        changed = change_number(text, rng)
        if changed is not None:
            out.append(LabelledPair("chat:number-changed", False, text, changed))
    for a, b in nearest(distinct, embed, lambda x, y: loose(x) == loose(y)):
        out.append(LabelledPair("chat:neighbour", False, a, b))
    return out
