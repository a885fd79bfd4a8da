"""Actions: what a route choice changes in the request on its way upstream."""

from __future__ import annotations

from . import headers as H
from .router import RouteOutcome


def route_mutations(outcome: RouteOutcome, content_length: int | None) -> dict[str, str]:
    """Request headers that send the request to the chosen model's Envoy route.

    ``content_length`` is set whenever the body was rewritten: Envoy answers 500 when a
    body mutation and the header disagree.
    """
    set_headers = {H.SELECTED_MODEL: outcome.choice.model}
    if content_length is not None:
        set_headers[H.CONTENT_LENGTH] = str(content_length)
    return set_headers
