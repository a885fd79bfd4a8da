"""Distil the static token table from MiniLM and learn the shared IDF (``train static``).

model2vec's recipe, done with onnxruntime only (no torch): every vocabulary token goes
through MiniLM alone ([CLS] t [SEP], mean-pooled), the 384-d outputs are reduced to 256-d
by PCA, and each row is scaled by a SIF weight a / (a + p(token)) with p estimated from
the training corpora, so frequent tokens count less in the mean. The IDF of the hashed
lexical features is learned over the same corpora. Output: assets/static_minilm_256.npz.
"""

from __future__ import annotations

import pathlib
import time

import numpy as np
from tqdm import tqdm

from router_extproc.encoder.assets import ENCODER_ID
from router_extproc.encoder.features import HASH_DIM, lexical_buckets
from router_extproc.encoder.onnx_encoder import MiniLMEncoder
from router_extproc.encoder.static import STATIC_TABLE
from router_extproc.encoder.tokenizer import WordPieceTokenizer
from router_extproc.training import data

DIM = 256
SIF_A = 1e-4


def corpus(data_dir: pathlib.Path) -> list[str]:
    """Training-split texts only: MMLU-Pro questions, injection sets, everyday chat."""
    texts = [r["question"] for r in data.mmlu_pro(data_dir, "train")]
    texts += [t for t, _ in data.slabs(data_dir, "train")]
    texts += [r["text"] for r in data.neuralchemy(data_dir, "train")]
    texts += [r["text"] for r in data.everyday_chat("train")]
    return texts


def distill(data_dir: pathlib.Path, out: pathlib.Path = STATIC_TABLE, batch: int = 512) -> dict:
    started = time.time()
    tokenizer = WordPieceTokenizer()
    encoder = MiniLMEncoder(threads=2)
    vocab = tokenizer.vocab_size
    vectors = np.zeros((vocab, encoder.dim), dtype=np.float32)
    for start in tqdm(range(0, vocab, batch), desc="embedding vocabulary", unit="batch"):
        ids = [np.array([i], dtype=np.int32) for i in range(start, min(start + batch, vocab))]
        vectors[start : start + len(ids)] = encoder.embed_ids(ids)

    texts = corpus(data_dir)
    token_ids = tokenizer.ids_batch(texts)
    counts = np.ones(vocab, dtype=np.float64)  # add-one smoothing
    doc_freq = np.zeros(HASH_DIM, dtype=np.float64)
    for ids in tqdm(token_ids, desc="counting tokens", unit="text"):
        np.add.at(counts, ids, 1)
        doc_freq[np.unique(lexical_buckets(ids))] += 1
    probability = counts / counts.sum()
    sif = SIF_A / (SIF_A + probability)

    centered = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centered, full_matrices=False)
    reduced = centered @ components[:DIM].T
    table = (reduced * sif[:, None]).astype(np.float16)
    idf = (np.log((1 + len(texts)) / (1 + doc_freq)) + 1).astype(np.float16)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, table=table, idf=idf, encoder_id=np.array(ENCODER_ID), sif_a=np.array(SIF_A),
                        corpus_size=np.array(len(texts)))
    report = {"vocab": vocab, "dim": DIM, "corpus_texts": len(texts), "seconds": round(time.time() - started, 1),
              "bytes": out.stat().st_size}
    print(f"static table written to {out}: {report}")
    return report
