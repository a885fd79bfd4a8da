"""Privacy closure: a private request never reaches an ``external`` model.

Applied after every choice — rule, strategy, fallback, default, explicit model — so no path
can skip it. A request is private when a configured header says so, or when it carries PII
(after redaction) of a type the chosen model may not receive. An unknown PII state (the
scan failed or did not run) counts as private: privacy never fails open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from router_extproc.decision.engine import RouteChoice
from router_extproc.policy.spec import Policy
from router_extproc.signals.base import SignalResult

UNKNOWN_PII = "UNKNOWN"


@dataclass(frozen=True)
class PrivacyState:
    header_private: bool
    pii_types: frozenset[str]

    @property
    def private(self) -> bool:
        return self.header_private or bool(self.pii_types)


def header_private(policy: Policy, headers: Mapping[str, str]) -> bool:
    """Private unless every configured tier header is absent, or sent once with exactly one
    public value: a repeated header (joined with commas), a list, or an unknown value is private."""
    for name, private_values in policy.privacy.private_headers.items():
        if name not in headers:
            continue
        value = headers[name].strip().lower()
        public = {v.lower() for v in policy.privacy.public_values.get(name, ["public"])}
        if "," in value or value in {v.lower() for v in private_values} or value not in public:
            return True
    return False


def privacy_state(policy: Policy, pii: SignalResult | None, headers: Mapping[str, str],
                  redacted: frozenset[str] = frozenset()) -> PrivacyState:
    if pii is None or pii.error:
        types = frozenset({UNKNOWN_PII})
    else:
        types = frozenset(pii.labels) - redacted
    return PrivacyState(header_private(policy, headers), types)


def enforce_privacy(policy: Policy, choice: RouteChoice, state: PrivacyState) -> RouteChoice:
    if choice.block is not None or not choice.model:
        return choice
    spec = policy.models[choice.model]
    if spec.privacy == "local":
        return choice
    if state.header_private or not spec.may_receive(state.pii_types):
        return replace(choice, model=policy.privacy_fallback, reason="privacy")
    return choice
