"""int8 matrix weights stored as uint8: the same real values, sums that cannot saturate on any CPU."""

from __future__ import annotations

import pathlib

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from router_extproc.signals.jailbreak.second_stage import STAGE2_DIR
from router_extproc.training.int8_weights import signed_matmul_weights, unsigned_matmul_weights


def _matmul_integer_model(path: pathlib.Path, weight: np.ndarray, zero_point: np.ndarray | None,
                          extra_reader: bool = False) -> None:
    """``y = MatMulInteger(a, weight)`` with uint8 ``a`` fed at run time (zero point 0)."""
    k, n = weight.shape
    inputs = ["a", "w", "a_zero", "w_zero"] if zero_point is not None else ["a", "w"]
    initializers = [numpy_helper.from_array(weight, "w")]
    if zero_point is not None:
        initializers += [numpy_helper.from_array(np.array(0, np.uint8), "a_zero"),
                         numpy_helper.from_array(zero_point, "w_zero")]
    nodes = [helper.make_node("MatMulInteger", inputs, ["y"])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.INT32, [None, n])]
    if extra_reader:  # the weight also read as data elsewhere: shifting it would change that output
        nodes.append(helper.make_node("Identity", ["w"], ["w_copy"]))
        outputs.append(helper.make_tensor_value_info("w_copy", TensorProto.INT8, [k, n]))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("a", TensorProto.UINT8, [None, k])],
                              outputs, initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def _run(path: pathlib.Path, a: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"a": a})[0]


@pytest.mark.parametrize("per_channel_zero", [True, False])
def test_rewritten_products_are_exact_where_u8s8_would_saturate(tmp_path: pathlib.Path, per_channel_zero: bool) -> None:
    # 255 * 127 + 255 * 127 = 64770 per pair of products: past int16, where vpmaddubsw clips to 32767
    rng = np.random.default_rng(0)
    weight = rng.integers(-127, 128, size=(64, 16)).astype(np.int8)
    weight[:, :4] = 127
    zero = np.zeros(16, np.int8) if per_channel_zero else None
    path = tmp_path / "m.onnx"
    _matmul_integer_model(path, weight, zero)
    assert signed_matmul_weights(path) == ["w"]
    assert unsigned_matmul_weights(path, path) == 1
    assert signed_matmul_weights(path) == []
    a = np.full((3, 64), 255, np.uint8)
    a[1] = rng.integers(0, 256, size=64)
    exact = a.astype(np.int64) @ weight.astype(np.int64)
    np.testing.assert_array_equal(_run(path, a), exact)


def test_rewrite_keeps_every_weights_real_value(tmp_path: pathlib.Path) -> None:
    rng = np.random.default_rng(1)
    weight = rng.integers(-127, 128, size=(8, 5)).astype(np.int8)
    zero = rng.integers(-3, 4, size=5).astype(np.int8)
    source, target = tmp_path / "a.onnx", tmp_path / "b.onnx"
    _matmul_integer_model(source, weight, zero)
    unsigned_matmul_weights(source, target)
    stored = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(target)).graph.initializer}
    assert stored["w"].dtype == np.uint8 and stored["w_zero"].dtype == np.uint8
    np.testing.assert_array_equal(stored["w"].astype(np.int32) - stored["w_zero"].astype(np.int32),
                                  weight.astype(np.int32) - zero.astype(np.int32))


def test_a_weight_shared_by_two_products_is_rewritten_once(tmp_path: pathlib.Path) -> None:
    weight = np.full((4, 3), 127, np.int8)
    nodes = [helper.make_node("MatMulInteger", ["a", "w"], ["y"]), helper.make_node("MatMulInteger", ["a", "w"], ["z"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("a", TensorProto.UINT8, [None, 4])],
                              [helper.make_tensor_value_info(name, TensorProto.INT32, [None, 3]) for name in "yz"],
                              [numpy_helper.from_array(weight, "w")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    assert unsigned_matmul_weights(path, path) == 2
    a = np.full((2, 4), 255, np.uint8)
    y, z = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["y", "z"], {"a": a})
    exact = a.astype(np.int64) @ weight.astype(np.int64)
    np.testing.assert_array_equal(y, exact)
    np.testing.assert_array_equal(z, exact)


def test_a_weight_read_by_another_node_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "m.onnx"
    _matmul_integer_model(path, np.ones((4, 2), np.int8), np.zeros(2, np.int8), extra_reader=True)
    with pytest.raises(ValueError, match="also read by"):
        unsigned_matmul_weights(path, tmp_path / "out.onnx")


@pytest.mark.parametrize("name", ["model.int8.onnx", "short.int8.onnx"])
def test_shipped_second_stage_has_no_saturating_weights(name: str) -> None:
    """A retrained artifact quantised without the rewrite would score differently on CPUs without VNNI."""
    assert signed_matmul_weights(STAGE2_DIR / name) == []
