"""all-MiniLM-L6-v2 (int8 ONNX) with mean pooling: the full sentence encoder.

Loaded once; ``embed_ids`` takes token-id arrays (no special tokens), adds [CLS]/[SEP],
pads a batch to its longest member (callers sort by length) and returns L2-normalised
384-d vectors.
"""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort

from router_extproc.encoder.assets import onnx_model_path
from router_extproc.encoder.tokenizer import CLS_ID, SEP_ID

MAX_POSITIONS = 256
"""all-MiniLM-L6-v2 was trained on at most 256 word pieces."""


class MiniLMEncoder:
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("ROUTER_ENCODER_THREADS", "1"))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(onnx_model_path()), options, providers=["CPUExecutionProvider"])

    def embed_ids(self, batch: list[np.ndarray]) -> np.ndarray:
        if not batch:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = [np.concatenate([[CLS_ID], ids[: MAX_POSITIONS - 2], [SEP_ID]]) for ids in batch]
        width = max(len(r) for r in rows)
        input_ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        hidden = self._session.run(
            None, {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        )[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / mask.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
