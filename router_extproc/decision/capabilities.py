"""Capability closure: a request only goes to a model that can serve it.

A model declares ``capabilities`` (which APIs it speaks, vision, audio, files, tools) and a
``context_window``. A request needs its API's capability, one per media kind it carries, ``tools``
when it declares tools, and room for its prompt plus the output it asks for. Applied after the
decision's strategy and before privacy closure: when the chosen model cannot serve the request
the next model that can is taken (the decision's other candidates in order, then the policy's
``fallback_models``), like privacy closure takes its fallback; when none can, the request is
refused with a 400 naming what no model offers. Privacy closure runs after, and its choice is
held to the same test among local models only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from router_extproc.decision.engine import RouteChoice
from router_extproc.errors import RequestError
from router_extproc.policy.spec import Capability, ModelSpec, Policy

MEDIA_CAPABILITY: dict[str, Capability] = {"image": "vision", "audio": "audio", "file": "files"}


@dataclass(frozen=True)
class Needs:
    capabilities: frozenset[Capability]
    prompt_tokens: int
    output_tokens: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


def needs_of(api: Capability, media: Iterable[str], tools: bool, prompt_tokens: int, output_tokens: int | None) -> Needs:
    wanted: set[Capability] = {api, *(MEDIA_CAPABILITY[m] for m in media if m in MEDIA_CAPABILITY)}
    if tools:
        wanted.add("tools")
    return Needs(frozenset(wanted), prompt_tokens, output_tokens or 0)


def unmet(model: ModelSpec, needs: Needs) -> str | None:
    """Why ``model`` cannot serve the request, or None when it can."""
    missing = sorted(needs.capabilities - model.capabilities)
    if missing:
        return "needs " + ", ".join(missing)
    if needs.tokens > model.context_window:
        return f"needs {needs.tokens} tokens of context ({needs.prompt_tokens} prompt + {needs.output_tokens} output)"
    return None


def no_model_can(needs: Needs, policy: Policy, local_only: bool) -> RequestError:
    models = [m for m in policy.models.values() if not local_only or m.privacy == "local"]
    missing = sorted(needs.capabilities - frozenset().union(*(m.capabilities for m in models)))
    where = "local model" if local_only else "model"
    if missing:
        reason = f"no {where} of this gateway supports {', '.join(missing)}"
        code = "unsupported_capability"
    else:
        widest = max((m.context_window for m in models if not needs.capabilities - m.capabilities), default=0)
        reason = (f"the request needs {needs.tokens} tokens ({needs.prompt_tokens} prompt + {needs.output_tokens} "
                  f"output) but the largest context window of a {where} that can serve it is {widest}")
        code = "context_length_exceeded"
    return RequestError(400, f"This request cannot be served: {reason}.", "invalid_request_error", code)


def candidates(policy: Policy, choice: RouteChoice) -> list[str]:
    """Models to try after the chosen one: the decision's other candidates, the policy's
    ``fallback_models``, then every other model, cheapest first."""
    decision = next((d for d in policy.decisions if d.name == choice.decision), None)
    order = [*(decision.models if decision is not None else []), *policy.fallback_models,
             *sorted(policy.models, key=lambda m: policy.models[m].price)]
    return [m for i, m in enumerate(order) if m != choice.model and m not in order[:i]]


def enforce_capabilities(policy: Policy, choice: RouteChoice, needs: Needs, local_only: bool = False) -> RouteChoice:
    """The choice if its model can serve the request, else the next one that can (400 if none)."""
    if choice.block is not None or not choice.model:
        return choice
    chosen = policy.models[choice.model]
    if unmet(chosen, needs) is None and (not local_only or chosen.privacy == "local"):
        return choice
    for name in candidates(policy, choice):
        model = policy.models[name]
        if unmet(model, needs) is None and (not local_only or model.privacy == "local"):
            return replace(choice, model=name, reason="capability")
    raise no_model_can(needs, policy, local_only)
