"""Compile the ext_proc subset in proto/ into Python stubs (``make proto``).

The generated modules land in ``router_extproc/pb/`` and are committed, so an installed
router needs no protoc. ``tests/test_proto_stubs.py`` regenerates into a temporary
directory and fails when the committed stubs differ (stale after an edit or a bump of
grpcio-tools).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from grpc_tools import protoc

PROTO_ROOT = pathlib.Path(__file__).resolve().parent
REPO_ROOT = PROTO_ROOT.parent


def proto_files() -> list[pathlib.Path]:
    """Every .proto of the subset, in a stable order."""
    return sorted((PROTO_ROOT / "router_extproc").rglob("*.proto"))


def generate(out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Run protoc (python, pyi and grpc outputs) into ``out_dir``; return the files written."""
    import grpc_tools

    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))
    pb_root = out_dir / "router_extproc" / "pb"
    written = sorted(p for p in pb_root.rglob("*") if p.is_file())
    for directory in [pb_root, *(d for d in pb_root.rglob("*") if d.is_dir())]:
        init = directory / "__init__.py"
        if not init.exists():
            init.write_text("")
            written.append(init)
    return sorted(written)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=REPO_ROOT)
    args = parser.parse_args()
    for path in generate(args.out):
        print(path.relative_to(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
