"""Does the second stage score the same on a CPU without VNNI? Logits here against an emulated one.

    python bench/int8_portability.py [--texts 100] [--cpu EPYC-Milan] [--model PATH]

Scores s-labs validation texts and ShareGPT dev user turns with the second stage's ONNX file on
this machine, then the same texts in a copy of this Python run under ``qemu-x86_64 -cpu CPU``
(Debian ``qemu-user``; EPYC-Milan is AVX2 without VNNI, where onnxruntime's u8s8 kernels clip
pairs of products at 16 bits: docs/safety.md), and prints how far the logits moved. Timing under
emulation means nothing; only the numbers are compared. Run ``--model`` with a file quantised
without ``training.int8_weights`` to see the clipping.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from router_extproc.encoder.tokenizer import WordPieceTokenizer  # noqa: E402
from router_extproc.signals.jailbreak.second_stage import STAGE2_DIR, model_input  # noqa: E402


def texts(data: pathlib.Path, per_source: int) -> list[str]:
    """The first ``per_source`` s-labs validation texts and the first two user turns of as many ShareGPT dev chats."""
    with open(data / "prompt_injection/s-labs/validation.csv", encoding="utf-8") as f:
        out = [row["text"] for row in list(csv.DictReader(f))[:per_source]]
    with gzip.open(data / "chat/sharegpt_dev.jsonl.gz", "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= per_source:
                break
            out += [t["text"] for t in json.loads(line)["turns"] if t["role"] == "user"][:2]
    return out


def logits(model: pathlib.Path, data: pathlib.Path, per_source: int) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    tokenizer = WordPieceTokenizer()
    out = []
    for text in texts(data, per_source):
        ids = model_input(tokenizer.ids(text), 128)
        if len(ids) > 2:
            feed = {"input_ids": ids[None, :], "attention_mask": np.ones((1, len(ids)), np.int64)}
            out.append(float(session.run(None, feed)[0].reshape(-1)[0]))
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--texts", type=int, default=100, help="texts per source")
    parser.add_argument("--cpu", default="EPYC-Milan", help="qemu's CPU model for the other machine")
    parser.add_argument("--model", default=str(STAGE2_DIR / "model.int8.onnx"))
    parser.add_argument("--dump", help=argparse.SUPPRESS)  # the emulated child writes its logits here
    args = parser.parse_args()
    model, data = pathlib.Path(args.model), pathlib.Path(args.data)
    if args.dump:
        np.save(args.dump, logits(model, data, args.texts))
        return
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        sys.exit("qemu-x86_64 not found: apt-get install qemu-user")
    here = logits(model, data, args.texts)
    with tempfile.TemporaryDirectory() as tmp:
        dump = pathlib.Path(tmp) / "emulated.npy"
        subprocess.run([qemu, "-cpu", args.cpu, sys.executable, __file__, "--data", str(data), "--texts",
                        str(args.texts), "--model", str(model), "--dump", str(dump)],
                       check=True, stderr=subprocess.DEVNULL)
        there = np.load(dump)
    moved = np.abs(there - here)
    print(f"second stage {model.name}: {len(moved)} texts, this CPU against qemu -cpu {args.cpu}\n")
    print("| logit moved | mean | p99 | max | share > 0.05 (the calibration margin) |")
    print("|---|---|---|---|---|")
    print(f"| | {moved.mean():.4f} | {np.quantile(moved, 0.99):.4f} | {moved.max():.4f} | {(moved > 0.05).mean():.1%} |")


if __name__ == "__main__":
    main()
