"""Store a dynamically quantised model's int8 matrix weights as uint8, so every x86 CPU computes the same.

``quantize_dynamic`` writes signed int8 weights next to uint8 activations (u8s8). onnxruntime's
u8s8 kernels on x86 CPUs without VNNI (AVX2 or AVX-512 without VNNI: AMD Zen 2 and 3, Intel before
Cascade Lake) multiply with ``vpmaddubsw``, which saturates each pair of products at 16 bits; with
VNNI (``vpdpbusd``) or u8u8 kernels the sums are exact. The same model then scores the same text
differently by CPU: the shipped second stage's logits moved by 0.25 on average and up to 0.86
under an emulated AMD EPYC Milan (docs/safety.md), enough to move gate decisions and the
calibrated refusal rate.

The rewrite is lossless: a weight ``w`` with zero point ``z`` becomes ``w + 128`` with zero point
``z + 128``, the same real value ``(w - z) * scale``, and u8u8 products never saturate. Unlike
``reduce_range`` (7-bit weights, quantised from the float model) it needs no retraining and
changes no score on a VNNI CPU; it costs speed there (VNNI has no u8u8 instruction: a
128-token second-stage run 7.9 ms against 5.5 ms on two threads).
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

SHIFT = 128
"""int8 -> uint8 offset applied to weights and their zero points alike."""


def unsigned_matmul_weights(source: pathlib.Path, target: pathlib.Path) -> int:
    """Rewrite every ``MatMulInteger`` whose weight (input B) is an int8 initializer to uint8;
    returns how many were rewritten. ``source`` and ``target`` may be the same file."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    initializers = {init.name: init for init in model.graph.initializer}
    readers: dict[str, set[tuple[str, int]]] = {}
    for node in model.graph.node:
        for slot, name in enumerate(node.input):
            readers.setdefault(name, set()).add((node.op_type, slot))
    signed = _signed_products(model)
    rewritten: set[str] = set()
    for node in signed:  # chosen before any is shifted: two products may share one weight
        weight = initializers[node.input[1]]
        zero_name = node.input[3] if len(node.input) > 3 and node.input[3] else ""
        if zero_name and zero_name not in initializers:
            raise ValueError(f"{node.name}: the weight's zero point is computed, not stored; cannot rewrite it")
        for name, slot in ((node.input[1], 1), (zero_name, 3)):
            if name and readers[name] != {("MatMulInteger", slot)}:
                raise ValueError(f"{name}: also read by {sorted(readers[name])}; shifting it would change those")
            if name and name not in rewritten:
                _shift_to_uint8(initializers[name])
                rewritten.add(name)
        if not zero_name:  # a missing zero point means 0, which becomes 128
            zero_name = f"{node.input[1]}_uint8_zero_point"
            if zero_name not in initializers:
                columns = numpy_helper.to_array(weight).shape[-1]
                model.graph.initializer.append(numpy_helper.from_array(np.full(columns, SHIFT, np.uint8), zero_name))
                initializers[zero_name] = model.graph.initializer[-1]
            while len(node.input) < 4:
                node.input.append("")
            node.input[3] = zero_name
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return len(signed)


def _shift_to_uint8(tensor: onnx.TensorProto) -> None:
    """Replace an int8 initializer, in place, by the same values plus ``SHIFT`` as uint8."""
    from onnx import numpy_helper

    values = numpy_helper.to_array(tensor)
    if values.dtype != np.int8:
        raise ValueError(f"{tensor.name}: expected int8, found {values.dtype}")
    shifted = (values.astype(np.int16) + SHIFT).astype(np.uint8)
    tensor.CopyFrom(numpy_helper.from_array(shifted, tensor.name))


def signed_matmul_weights(path: pathlib.Path) -> list[str]:
    """Names of ``MatMulInteger`` weights still stored as int8 (the ones that can saturate)."""
    import onnx

    return [node.input[1] for node in _signed_products(onnx.load(str(path)))]


def _signed_products(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    """The ``MatMulInteger`` nodes whose weight (input B) is an int8 initializer."""
    import onnx

    int8 = {init.name for init in model.graph.initializer if init.data_type == onnx.TensorProto.INT8}
    return [node for node in model.graph.node
            if node.op_type == "MatMulInteger" and len(node.input) > 1 and node.input[1] in int8]


if __name__ == "__main__":
    import sys

    for argument in sys.argv[1:]:
        print(f"{argument}: {unsigned_matmul_weights(pathlib.Path(argument), pathlib.Path(argument))} weights made uint8")
