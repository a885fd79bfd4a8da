"""The shipped heads and signals on real inputs (the trained artifacts in assets/)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from router_extproc.encoder.batcher import MicroBatcher
from router_extproc.encoder.heads import FEATURE_VERSION, HEADS_DIR, LinearHead
from router_extproc.policy.spec import DOMAIN_LABELS, SimilarityRoute
from router_extproc.signals.difficulty import DifficultyEstimator
from router_extproc.signals.domain import DomainClassifier
from router_extproc.signals.language import LanguageDetector, detect_language
from router_extproc.signals.modality import ModalityDetector
from router_extproc.signals.pii import PiiScanner
from router_extproc.signals.similarity import SimilarityMatcher


@pytest.mark.parametrize("name", ["domain", "jailbreak", "difficulty"])
def test_artifacts_carry_their_metadata(name: str) -> None:
    meta = json.loads((HEADS_DIR / f"{name}.json").read_text())
    assert meta["feature_version"] == FEATURE_VERSION
    assert meta["encoder_id"] and meta["trained_on"] and meta["metrics"] and meta["command"]


def test_domain_labels_match_the_policy_schema(models) -> None:
    assert sorted(models.domain_head.labels) == sorted(DOMAIN_LABELS)


@pytest.mark.parametrize(
    ("prompt", "label"),
    [
        ("What is the integral of x^2 from 0 to 3?", "math"),
        ("Which court has jurisdiction over a breach of contract claim between citizens of different states?", "law"),
        ("hi, how are you doing today?", "general"),
        ("What is the time complexity of quicksort in the worst case?", "computer science"),
    ],
)
def test_domain_head(view, models, prompt: str, label: str) -> None:
    result = DomainClassifier(models.domain_head, 0.0).evaluate(view(prompt))
    assert result.labels == {label}
    assert result.details["top"][0][0] == label


def test_domain_below_floor_has_no_label(view, models) -> None:
    result = DomainClassifier(models.domain_head, 0.999).evaluate(view("tell me something"))
    assert not result.matched and result.labels == frozenset()


def test_domain_reads_the_conversation_not_only_the_last_turn(view, models) -> None:
    follow_up = "and what about for the second one?"
    alone = DomainClassifier(models.domain_head, 0.0).evaluate(view(follow_up))
    with_context = DomainClassifier(models.domain_head, 0.0).evaluate(
        view("Solve the quadratic equation x^2 - 5x + 6 = 0 and the equation 2x + 3 = 7", follow_up))
    assert with_context.labels == {"math"}
    assert with_context.confidence > alone.confidence


def test_difficulty_gives_per_model_accuracy(view, models) -> None:
    result = DifficultyEstimator(models.outcome_memory, 0.1, 0.2).evaluate(
        view("A 2 kg block slides down a frictionless incline of 30 degrees. What is its acceleration?\n"
             "A. 4.9 m/s^2\nB. 9.8 m/s^2\nC. 2.5 m/s^2\nD. 3.2 m/s^2"))
    neighbours = result.details["neighbours"]
    assert len(neighbours) == 29
    assert all(0.0 <= hits <= weight + 1e-6 and 0.0 <= overall <= 1.0 for hits, weight, overall in neighbours.values())
    assert -1.0 <= result.score <= 1.0 and result.confidence > 0.5


def test_difficulty_shrinks_far_from_known_questions(view, models) -> None:
    result = DifficultyEstimator(models.outcome_memory, 0.1, 0.2).evaluate(view("hey"))
    assert abs(result.score) < 0.1 and result.confidence < 1.0


def test_pii_signal_spans_per_message(view) -> None:
    result = PiiScanner(["EMAIL", "CREDIT_CARD"]).evaluate(
        view("no pii here", "mail me at a.b@example.org or charge 4111-1111-1111-1111"))
    assert result.labels == {"EMAIL", "CREDIT_CARD"}
    spans = result.details["spans"]
    assert {s["path"] for s in spans} == {"messages/1/content"}
    assert all(s["end"] > s["start"] for s in spans)


def test_modality_and_language(view) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "¿Qué hay en esta imagen? Dime lo que ves."},
                                             {"type": "image_url", "image_url": {"url": "data:x"}}]}]
    v = view(messages=messages)
    assert ModalityDetector().evaluate(v).labels == {"image"}
    assert LanguageDetector().evaluate(v).labels == {"es"}
    assert detect_language("Wie spät ist es und wo ist der Bahnhof?")[0] == "de"
    assert detect_language("这是一个测试句子")[0] == "zh"
    assert detect_language("What time is it?")[0] == "en"


def test_similarity_route(view, models) -> None:
    route = SimilarityRoute(name="greet", utterances=["hello there", "good morning!"], threshold=0.7)
    matcher = SimilarityMatcher(route, models)
    assert matcher.evaluate(view("hello!")).matched
    assert not matcher.evaluate(view("Derive the Navier-Stokes equations for incompressible flow.")).matched


def test_micro_batcher_batches_concurrent_callers() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def embed(batch):
        calls.append(len(batch))
        gate.wait(1)
        return np.stack([np.full(2, len(ids), dtype=np.float32) for ids in batch])

    batcher = MicroBatcher(embed, max_batch=8)
    futures = [batcher.submit(np.zeros(n, np.int32)) for n in range(1, 10)]
    gate.set()
    assert [f.result(5)[0] for f in futures] == list(range(1, 10))  # each caller gets its own row
    assert max(calls) > 1 and sum(calls) == 9
    batcher.close()


def test_micro_batcher_propagates_errors() -> None:
    def broken(batch):
        raise RuntimeError("encoder down")

    batcher = MicroBatcher(broken)
    with pytest.raises(RuntimeError, match="encoder down"):
        batcher.embed(np.zeros(3, np.int32))
    batcher.close()


def test_onnx_encoder_matches_itself_batched(models) -> None:
    encoder = models.minilm()
    tokenizer = models.featurizer.tokenizer
    a, b = tokenizer.ids("a short sentence"), tokenizer.ids("a somewhat longer sentence about routing models")
    single = np.stack([encoder.embed_ids([a])[0], encoder.embed_ids([b])[0]])
    batched = encoder.embed_ids([a, b])
    assert np.allclose(single, batched, atol=1e-4)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-4)
    assert isinstance(models.domain_head, LinearHead)
