"""Build the signal objects a policy declares, once per policy load, around the shared artifacts.

Nothing here names a signal kind: each kind's spec (``policy.spec.SignalSpec``) says which class
builds it, and the class's ``from_spec`` builds one from its parameters. Modules are imported
on first use, so a policy that declares no heads never loads them.
"""

from __future__ import annotations

import importlib

from router_extproc.policy.spec import GateSpec, Signals
from router_extproc.signals.artifacts import SharedArtifacts
from router_extproc.signals.base import Signal


def build_signals(spec: Signals, artifacts: SharedArtifacts) -> list[Signal]:
    signals: list[Signal] = []
    for ref, declared in spec.declared():
        module, name = type(declared).builder.split(":")
        signal: Signal = getattr(importlib.import_module(module), name).from_spec(declared, artifacts)
        signal.ref = ref
        signals.append(signal)
    return signals


def on_error_policy(spec: Signals) -> dict[str, str]:
    """What a failing safety gate's result says: ``block`` makes it match, ``allow`` not."""
    return {ref: declared.on_error for ref, declared in spec.declared() if isinstance(declared, GateSpec)}
