"""The committed stubs in router_extproc/pb must be exactly what `make proto` generates."""

from __future__ import annotations

import importlib.util
import pathlib

from tests.conftest import REPO


def _load_generator():
    spec = importlib.util.spec_from_file_location("proto_generate", REPO / "proto" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_generated_stubs_are_current(tmp_path: pathlib.Path) -> None:
    generated = _load_generator().generate(tmp_path)
    assert generated, "protoc produced nothing"
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in generated}
    committed_root = REPO / "router_extproc" / "pb"
    committed = {
        p.relative_to(REPO): p.read_bytes()
        for p in committed_root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert set(fresh) == set(committed), "stub files differ: run `make proto`"
    stale = sorted(str(k) for k in fresh if fresh[k] != committed[k])
    assert not stale, f"stale generated stubs (run `make proto`): {stale}"


def test_wire_names_match_envoy_api() -> None:
    from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb

    service = pb.DESCRIPTOR.services_by_name["ExternalProcessor"]
    assert service.full_name == "envoy.service.ext_proc.v3.ExternalProcessor"
    assert service.methods_by_name["Process"].input_type.full_name == "envoy.service.ext_proc.v3.ProcessingRequest"
    fields = pb.ProcessingResponse.DESCRIPTOR.fields_by_name
    assert fields["request_body"].number == 3
    assert fields["immediate_response"].number == 7
    assert fields["mode_override"].number == 9
    assert pb.CommonResponse.DESCRIPTOR.fields_by_name["clear_route_cache"].number == 5
