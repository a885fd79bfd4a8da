"""Actions: what a route choice changes in the request on its way upstream.

Model id rewrite, PII redaction with typed placeholders, system prompt injection, reasoning
switches per model family (a client's explicit setting kept unless the policy overrides).
Each is asked of the request's endpoint spec, which knows where its API keeps them; they work
on a copy of the body, the parsed request is untouched. Redaction covers every string the
spec walks (the places the PII scan reads) and is verified before an external model.
"""

from __future__ import annotations

from typing import Any

from router_extproc.endpoints import EndpointSpec, ParsedRequest
from router_extproc.endpoints.base import TextPath
from router_extproc.pii import PiiDetector
from router_extproc.policy.spec import Actions
from router_extproc.routing.router import RouteOutcome, redacted_types


class RedactionIncomplete(RuntimeError):
    """The redacted body still holds PII the route depended on removing."""


def upstream_body(spec: EndpointSpec, request: ParsedRequest, outcome: RouteOutcome) -> dict[str, Any]:
    """The body the chosen model receives."""
    actions = outcome.choice.actions or Actions()
    body = dict(request.body)
    spec.set_model(body, outcome.model.provider_model_id)
    types = redacted_types(outcome.choice, outcome.pii)
    if types:
        body = redact(spec, body, types)
        if outcome.model.privacy == "external" and residual_pii(spec, body, types):
            # privacy closure relied on this redaction: never forward what it missed
            raise RedactionIncomplete(f"redaction left {sorted(types)} in the body")
    if actions.system_prompt is not None:
        spec.add_system_prompt(body, actions.system_prompt)
    if actions.reasoning is not None:
        spec.set_reasoning(body, outcome.model, actions.reasoning)
    return body


def redact(spec: EndpointSpec, body: dict[str, Any], types: frozenset[str]) -> dict[str, Any]:
    """Replace PII of ``types`` by ``[TYPE]`` placeholders in every string the spec walks."""
    detector = PiiDetector(tuple(types))

    def clean(_: TextPath, text: str) -> str | None:
        spans = detector.find(text)
        if not spans:
            return None
        for span in reversed(spans):
            text = text[: span.start] + f"[{span.type}]" + text[span.end :]
        return text

    return spec.rewrite_strings(body, clean)


def residual_pii(spec: EndpointSpec, body: dict[str, Any], types: frozenset[str]) -> bool:
    detector = PiiDetector(tuple(types))
    return any(detector.find(text) for _, text in spec.strings(body))
