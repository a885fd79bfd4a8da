"""The encoder: one tokenizer pass and one embedding per request, shared by every signal.

``tokenizer`` wraps the Rust WordPiece tokenizer of all-MiniLM-L6-v2; ``static`` is a
model2vec-style token table distilled from that encoder (the per-request fast path);
``onnx_encoder`` runs the full MiniLM-L6 int8 ONNX model (distillation, similarity routes
that ask for it), behind ``batcher``'s micro-batching.
"""
