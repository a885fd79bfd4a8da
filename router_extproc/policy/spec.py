"""Pydantic models of the policy file: validation, defaults and (later) the JSON schema.

A policy names the models (price, privacy tier, capabilities, upstream), the signals to
compute, and the decisions that turn signals into a model. Cross-references (a decision's
model, a rule's signal, the default model) are checked here, so a loaded policy is
consistent by construction.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from router_extproc.policy.cache_spec import AffinitySpec, CacheSpec, StoreSpec

MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""Model names travel in ``x-selected-model`` and Envoy cluster names: keep them plain."""

Capability = Literal["chat", "completions", "vision", "audio", "files", "tools", "reasoning", "long_context"]
"""``chat`` serves the chat-style APIs (Chat Completions, Responses, Anthropic Messages), ``completions``
the prompt API; ``vision``/``audio``/``files`` the media parts; ``tools`` tool definitions."""


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a policy must not silently do nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Cost(StrictModel):
    """Price in USD per million tokens, as providers publish it."""

    input_per_1m: float = Field(ge=0)
    output_per_1m: float = Field(ge=0)


class Upstream(StrictModel):
    """Where Envoy sends this model's traffic (rendered into an Envoy cluster)."""

    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    tls: bool = False


class ModelSpec(StrictModel):
    provider_model_id: str = Field(min_length=1, pattern=r'^[^"\\\x00-\x1f]+$',
                                   description="The id the upstream expects in the body's 'model'.")
    cost: Cost
    privacy: Literal["local", "external"] = Field(
        description="'local' models run inside the trust boundary; private prompts never go to 'external' ones."
    )
    capabilities: frozenset[Capability] = frozenset({"chat", "completions"})
    context_window: int = Field(default=8192, ge=256, description="Maximum prompt + completion tokens.")
    upstream: Upstream | None = None
    allowed_pii: list[str] | None = Field(
        default=None,
        description="PII types this model may receive. Default: every type for 'local' models, none for 'external'.",
    )
    reasoning_family: Literal["none", "qwen3", "deepseek", "openai", "anthropic"] = Field(
        default="none",
        description="How reasoning is switched: chat_template_kwargs.enable_thinking (qwen3), "
        "chat_template_kwargs.thinking (deepseek), reasoning_effort / reasoning.effort (openai), "
        "thinking.budget_tokens (anthropic).",
    )
    quality: dict[str, float] = Field(
        default={},
        description="Expected quality (0-1) per domain label, and 'default', for cheapest_capable.",
    )
    outcome_model: str | None = Field(
        default=None,
        description="This model's name in the difficulty memory: its per-prompt expected accuracy is used "
        "by cheapest_capable instead of the quality table.",
    )
    expected_output_tokens: int | None = Field(
        default=None, ge=1,
        description="Typical answer length, for cheapest_capable's expected cost per answer when the difficulty "
        "memory knows none for this model (default: the memory's median over its models for the prompt).",
    )

    @property
    def price(self) -> float:
        """Blended USD per 1M tokens (1 output token per 3 input tokens), for ordering by cost."""
        return (3 * self.cost.input_per_1m + self.cost.output_per_1m) / 4

    def may_receive(self, pii_types: frozenset[str]) -> bool:
        allowed = self.allowed_pii
        if allowed is None:
            return self.privacy == "local" or not pii_types
        return pii_types <= set(allowed)


def compile_linear(pattern: str, case_sensitive: bool) -> Any:
    """A policy regex compiled for RE2 (linear-time matching on client text)."""
    import re2

    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False
    return re2.compile(pattern, options)


class SignalSpec(StrictModel):
    """A signal kind, declared once: its parameters (the fields), how it is built
    (``builder``: ``module:Class`` with ``from_spec(spec, artifacts)``), whether its labels are a
    fixed vocabulary safe to show in headers and logs, and whether it is a gate (``on_error``).
    ``Signals`` lists one field per kind; everything else (the registry that builds signals,
    ``x-router-signals``, the decision log, ``classify``, the JSON schema) is read from here."""

    builder: ClassVar[str]
    public_labels: ClassVar[bool] = False
    gate: ClassVar[bool] = False


class KeywordSignal(SignalSpec):
    """Matches when the text contains any of ``any``, all of ``all``, or one of ``regex``."""

    builder: ClassVar[str] = "router_extproc.signals.keyword:KeywordMatcher"

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    any: list[str] = []
    all: list[str] = []
    regex: list[str] = []
    case_sensitive: bool = False
    scope: Literal["last_user", "user", "conversation"] = "user"

    @field_validator("regex")
    @classmethod
    def _regexes_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compile_linear(pattern, True)
            except Exception as exc:
                raise ValueError(f"regex {pattern!r} is not valid RE2 syntax (linear time: no look-arounds or "
                                 f"back-references): {exc}") from None
        return patterns

    @model_validator(mode="after")
    def _not_empty(self) -> KeywordSignal:
        if not (self.any or self.all or self.regex):
            raise ValueError("a keyword signal needs at least one of 'any', 'all' or 'regex'")
        return self


class ContextLengthSignal(SignalSpec):
    """Matches when the estimated prompt tokens fall in [min_tokens, max_tokens]."""

    builder: ClassVar[str] = "router_extproc.signals.context_length:ContextLengthRange"

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    min_tokens: int = Field(default=0, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)


DOMAIN_LABELS = (
    "biology", "business", "chemistry", "computer science", "economics", "engineering", "general", "health",
    "history", "law", "math", "other", "philosophy", "physics", "psychology",
)
PiiType = Literal["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET", "PERSON", "ADDRESS"]
OnError = Literal["allow", "block"]


class DomainSignalSpec(SignalSpec):
    """Trained head: 14 MMLU-Pro categories + ``general``. Ref ``domain``; labels for ``is``."""

    builder: ClassVar[str] = "router_extproc.signals.domain:DomainClassifier"
    public_labels: ClassVar[bool] = True

    min_confidence: float = Field(default=0.0, ge=0, le=1, description="Below this, the signal does not match.")


class DifficultySignalSpec(SignalSpec):
    """Expected accuracy gain of the policy's strong model over its weak one, from the outcome
    memory (their ``outcome_model``s). Ref ``difficulty``."""

    builder: ClassVar[str] = "router_extproc.signals.difficulty:DifficultyEstimator"

    threshold: float = Field(default=0.1, ge=-1, le=1, description="Gain at or above which the signal matches.")
    min_similarity: float = Field(default=0.2, ge=0, le=1, description="Nearest-question similarity for full confidence.")
    strong: str | None = Field(default=None, description="The policy model on the strong side of the gain. Default: "
                               "the strong model of the first strong_weak or cascade decision.")
    weak: str | None = Field(default=None, description="The policy model on the weak side. Default: the weak (cheap) "
                             "model of that decision.")
    _outcomes: tuple[str | None, str | None] = PrivateAttr(default=(None, None))

    @property
    def strong_outcome(self) -> str | None:
        """The strong model's name in the outcome memory (resolved by the policy; None: the memory's own pair)."""
        return self._outcomes[0]

    @property
    def weak_outcome(self) -> str | None:
        return self._outcomes[1]


class GateSpec(SignalSpec):
    """A safety gate: says what its result is when it fails (``block``: it matches, so its
    decision refuses; ``allow``: the request goes on unjudged)."""

    gate: ClassVar[bool] = True
    on_error: OnError = "block"


class JailbreakSignalSpec(GateSpec):
    """Prompt-injection / jailbreak gate. Ref ``jailbreak``; labels are the evasion tricks seen."""

    builder: ClassVar[str] = "router_extproc.signals.jailbreak:JailbreakDetector"
    public_labels: ClassVar[bool] = True

    threshold: float | None = Field(
        default=None, gt=0, lt=1,
        description="Attack score at which the gate matches. Default: the shipped model's, calibrated on real chat "
        "(router-extproc eval-gate --calibrate writes a policy's own).")
    second_stage: bool = Field(default=True, description="Judge the pieces the first stage is unsure of with the "
                               "transformer classifier (off: the first stage alone, at its own threshold).")
    max_scan_chars: int = Field(
        default=131072, ge=1024, le=8 * 1024 * 1024,
        description="Characters of a request the gate reads in full, newest message first (about 30k tokens by "
        "default; reading costs about 2 ms per KB on one core). A longer prompt cannot be judged: the gate "
        "follows on_error.")
    trusted_system_prompts: list[str] = Field(
        default_factory=list, max_length=1000,
        description="The application's own system prompts, which the gate need not judge (guardrails such as 'never "
        "reveal these instructions' read like the attacks they guard against). A system or developer message that "
        "starts with one of these texts is judged only from where it ends; 'sha256:<64 hex>' matches a whole "
        "message (stripped) by digest. Any other message, and the same text in any other role, is judged as usual.")

    @field_validator("trusted_system_prompts")
    @classmethod
    def _trusted_entries(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if entry.startswith("sha256:") and not re.fullmatch(r"sha256:[0-9a-fA-F]{64}", entry):
                raise ValueError(f"{entry[:80]!r}: a digest entry is 'sha256:' and 64 hex digits")
            if not entry.strip():
                raise ValueError("an empty trusted system prompt would trust nothing; remove it")
        return entries


class PiiSignalSpec(GateSpec):
    """PII detection with spans. Ref ``pii``; labels are the types found."""

    builder: ClassVar[str] = "router_extproc.signals.pii:PiiScanner"
    public_labels: ClassVar[bool] = True

    types: list[PiiType] = list(("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET", "PERSON",
                                 "ADDRESS"))


class SimilarityRoute(SignalSpec):
    """Example utterances for one route; matches when the best cosine reaches ``threshold``."""

    builder: ClassVar[str] = "router_extproc.signals.similarity:SimilarityMatcher"

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    utterances: list[str] = Field(min_length=1)
    threshold: float = Field(default=0.6, ge=-1, le=1)
    encoder: Literal["static", "minilm"] = "static"


class ModalitySignalSpec(SignalSpec):
    """Which media the request carries (image, audio, file). No parameters."""

    builder: ClassVar[str] = "router_extproc.signals.modality:ModalityDetector"
    public_labels: ClassVar[bool] = True


class LanguageSignalSpec(SignalSpec):
    """The focus text's language (ISO 639-1 label). No parameters."""

    builder: ClassVar[str] = "router_extproc.signals.language:LanguageDetector"
    public_labels: ClassVar[bool] = True


@dataclass(frozen=True)
class SignalKind:
    name: str
    spec: type[SignalSpec]
    listed: bool
    """Many named signals of this kind (rules write ``kind:name``), else one (rules write ``kind``)."""


class Signals(StrictModel):
    """One field per signal kind: a list for named kinds, an optional spec for the others."""

    keyword: list[KeywordSignal] = []
    context_length: list[ContextLengthSignal] = []
    similarity: list[SimilarityRoute] = []
    domain: DomainSignalSpec | None = None
    difficulty: DifficultySignalSpec | None = None
    jailbreak: JailbreakSignalSpec | None = None
    pii: PiiSignalSpec | None = None
    modality: ModalitySignalSpec | None = None
    language: LanguageSignalSpec | None = None

    @classmethod
    def kinds(cls) -> tuple[SignalKind, ...]:
        """Every kind, read from the fields' types."""
        out = []
        for name, field in cls.model_fields.items():
            listed = get_origin(field.annotation) is list
            spec = get_args(field.annotation)[0]
            out.append(SignalKind(name, spec, listed))
        return tuple(out)

    def declared(self) -> list[tuple[str, SignalSpec]]:
        """(reference, spec) of every signal this policy declares, in field order."""
        out: list[tuple[str, SignalSpec]] = []
        for kind in self.kinds():
            value = getattr(self, kind.name)
            if kind.listed:
                out += [(f"{kind.name}:{item.name}", item) for item in value]
            elif value is not None:
                out.append((kind.name, value))
        return out

    def names(self) -> set[str]:
        """References as rules write them: ``kind:name`` for listed kinds, ``kind`` for the others."""
        return {ref for ref, _ in self.declared()}


SINGLE_SIGNALS = tuple(k.name for k in Signals.kinds() if not k.listed)
"""Kinds declared once per policy and referenced by their kind alone."""
PUBLIC_LABEL_SIGNALS = frozenset(k.name for k in Signals.kinds() if k.spec.public_labels)
"""Kinds whose labels are a fixed vocabulary (never prompt text): shown in headers and logs."""


class Rule(StrictModel):
    """A boolean expression over signals: exactly one of all / any / not / signal."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all: list[Rule] | None = None
    any: list[Rule] | None = None
    not_: Rule | None = Field(default=None, alias="not")
    signal: str | None = Field(default=None, description="A signal reference ('domain', 'keyword:code'); true when it matched.")
    is_: list[str] | None = Field(default=None, alias="is", description="With signal: true when a label is one of these.")
    gte: float | None = Field(default=None, description="With signal: true when the score is at least this.")
    lte: float | None = Field(default=None, description="With signal: true when the score is at most this.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Rule:
        present = [k for k in ("all", "any", "not_", "signal") if getattr(self, k) is not None]
        if len(present) != 1:
            raise ValueError("a rule needs exactly one of 'all', 'any', 'not' or 'signal'")
        if self.all == [] or self.any == []:
            raise ValueError("'all' and 'any' need at least one rule")
        if self.signal is None and (self.is_ is not None or self.gte is not None or self.lte is not None):
            raise ValueError("'is', 'gte' and 'lte' qualify a 'signal' rule")
        return self

    def leaves(self) -> list[Rule]:
        if self.signal is not None:
            return [self]
        children = self.all or self.any or ([self.not_] if self.not_ else [])
        return [leaf for child in children for leaf in child.leaves()]

    def signal_refs(self) -> set[str]:
        if self.signal is not None:
            return {self.signal}
        children = self.all or self.any or ([self.not_] if self.not_ else [])
        return set().union(*(child.signal_refs() for child in children))


class Block(StrictModel):
    """Refuse the request with an OpenAI-shaped error instead of routing it."""

    status: int = Field(default=403, ge=400, le=599)
    message: str = "This request was blocked by the gateway's policy."
    code: str = Field(default="content_blocked", pattern=r"^[a-z0-9_]+$")


class SystemPrompt(StrictModel):
    mode: Literal["prepend", "replace"] = "prepend"
    text: str = Field(min_length=1)


class Reasoning(StrictModel):
    """Switch reasoning for models that declare a ``reasoning_family``."""

    enabled: bool = True
    effort: Literal["minimal", "low", "medium", "high"] = "medium"
    override_client: bool = Field(default=False, description="Replace a client's own explicit setting.")


class Actions(StrictModel):
    redact_pii: bool | list[PiiType] = Field(default=False, description="Replace PII in the forwarded body with typed placeholders.")
    system_prompt: SystemPrompt | None = None
    reasoning: Reasoning | None = None
    headers: dict[str, str] = Field(default={}, description="Extra request headers to the upstream.")

    @field_validator("headers")
    @classmethod
    def _safe_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for key in headers:
            if not re.fullmatch(r"[a-z0-9-]+", key) or key.startswith(("x-envoy-", ":")) or key in (
                "host", "content-length", "x-selected-model", "authorization"
            ):
                raise ValueError(f"header {key!r} cannot be set by a policy (lower-case names; not routing or "
                                 "framing headers)")
        return headers


class Fallback(StrictModel):
    """The fail-safe when a decision's signals are below their confidence floor."""

    model: str | None = None
    decision: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Fallback:
        if (self.model is None) == (self.decision is None):
            raise ValueError("a fallback names exactly one of 'model' or 'decision'")
        return self


class StaticStrategy(StrictModel):
    """The first candidate."""

    type: Literal["static"] = "static"
    sweep: ClassVar[str | None] = None


class StrongWeakStrategy(StrictModel):
    """RouteLLM's strong/weak router: ``models: [weak, strong]``; the strong model when the
    ``difficulty`` signal reaches ``threshold`` (or is missing: fail to strong)."""

    type: Literal["strong_weak"] = "strong_weak"
    threshold: float = Field(default=0.15, ge=-1, le=1, description="Difficulty at which the strong model is used.")
    sweep: ClassVar[str | None] = "threshold"


class CheapestCapableStrategy(StrictModel):
    """The cheapest candidate whose predicted quality for this prompt clears ``quality_threshold``."""

    type: Literal["cheapest_capable"] = "cheapest_capable"
    quality_threshold: float = Field(default=0.6, ge=0, le=1, description="Predicted quality to clear.")
    sweep: ClassVar[str | None] = "quality_threshold"


CascadeRule = Literal["empty", "refusal", "truncated", "unanswered", "error"]
"""What in the cheap answer escalates it whatever the second opinion says: no text, a refusal, cut
by the token limit, no final answer found, or no answer at all (an error or a timeout)."""


class CascadeStrategy(StrictModel):
    """Agreement cascade, ``models: [cheap, second_opinion, strong]``: the cheap model answers, a
    second cheap model answers the same request in parallel, and the strong model is called only
    when doubt reaches ``threshold``. Doubt = 1 when the two final answers disagree (or the cheap
    answer's own token confidence is below ``min_answer_confidence``), ``no_opinion`` when the
    second opinion gave no final answer, 0 when they agree; plus ``difficulty_weight`` × the
    prompt's ``difficulty`` score. A prompt whose doubt reaches the threshold even if the answers
    agree goes to the strong model directly; one that stays below it even if they disagree goes to
    the cheap model directly (no second opinion): clear prompts cost one call. A rule hit in
    ``escalate_on`` escalates always. See docs/cascade.md."""

    type: Literal["cascade"] = "cascade"
    threshold: float = Field(default=0.55, ge=-2, le=3, description="Doubt at which the strong model answers.")
    difficulty_weight: float = Field(default=1.0, ge=0, le=10, description="Weight of the difficulty score in doubt.")
    no_opinion: float = Field(default=0.5, ge=0, le=1, description="Doubt when the second opinion has no final answer.")
    min_answer_confidence: float | None = Field(
        default=None, gt=0, lt=1,
        description="When the cheap answer carries token logprobs: a geometric-mean token probability below this "
        "counts as a disagreement.")
    escalate_on: list[CascadeRule] = Field(default=["empty", "refusal", "truncated", "unanswered", "error"])
    streaming: Literal["skip"] = Field(
        default="skip",
        description="'skip': a streaming request is routed by the prediction alone (no second opinion). "
        "Cascading streams on buffered answers is not implemented.")
    tools: bool = Field(default=False, description="Cascade requests that declare tools (their answers are calls, "
                        "rarely comparable).")
    max_wait_ms: int = Field(default=30000, ge=100, le=60000,
                             description="Budget for the cheap answers; past it the request is escalated.")
    sweep: ClassVar[str | None] = "threshold"


Strategy = Annotated[StaticStrategy | StrongWeakStrategy | CheapestCapableStrategy | CascadeStrategy,
                     Field(discriminator="type")]
"""How a decision picks among its candidate models; ``sweep`` names the parameter ``eval`` and
``calibrate`` vary."""
FLAT_STRATEGY_KEYS = {"difficulty_threshold": ("strong_weak", "threshold"),
                      "quality_threshold": ("cheapest_capable", "quality_threshold")}
"""The flat keys of the first policy format, still read (with a deprecation warning) for one release."""


RetryOn = Literal["connect-failure", "reset", "5xx", "gateway-error", "refused-stream", "retriable-status-codes"]


class UpstreamFallback(StrictModel):
    """Envoy retries a failed upstream call on the decision's next model (an aggregate cluster per
    chain, rendered by ``envoy_config``; the body's model id is rewritten per attempt). A private
    request's chain holds only models it may reach."""

    attempts: int = Field(default=2, ge=2, le=5, description="Models tried per request: the chosen one and "
                          "attempts - 1 of the decision's others, in the decision's order after it.")
    retry_on: list[RetryOn] = Field(default=["connect-failure", "reset", "5xx", "retriable-status-codes"])
    status_codes: list[int] = Field(default=[429], description="Retriable status codes (rate limits).")
    back_off_ms: float = Field(default=1.0, ge=1, le=1000, description="Envoy's retry back-off base interval: "
                               "another model needs no pause before it is tried.")


class Decision(StrictModel):
    """When ``when`` holds, route to a model chosen from ``models`` by ``strategy`` (or ``block``).
    Highest priority first; ties keep file order."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    priority: int = 0
    when: Rule
    model: str | None = Field(default=None, description="Shorthand for models: [model] with strategy static.")
    models: list[str] = []
    strategy: Strategy = Field(default=StaticStrategy(), description="e.g. {type: strong_weak, threshold: 0.15}.")
    min_confidence: float = Field(default=0.0, ge=0, le=1, description="Signals this decision reads must be at least this confident.")
    on_low_confidence: Fallback | None = None
    actions: Actions = Actions()
    block: Block | None = None
    mode: Literal["enforce", "shadow"] = Field(
        default="enforce",
        description="'shadow': the decision is evaluated, counted (metrics, decision log, x-router-signals) and "
        "never applied: roll a gate out in shadow first, then enforce it.")
    fallback: UpstreamFallback | None = Field(
        default=None, description="When the chosen model's upstream fails (connect error, 5xx, 429), Envoy retries "
        "the decision's next model. Off unless set.")
    gate: bool | None = Field(
        default=None,
        description="A gate applies to every request, also to one that names a model itself. Default: true for "
        "'block' decisions, false for routing decisions; set true for a gate that routes (e.g. to a guarded model).")

    @property
    def is_gate(self) -> bool:
        return self.block is not None if self.gate is None else self.gate

    @model_validator(mode="before")
    @classmethod
    def _strategy_forms(cls, data: Any) -> Any:
        """``strategy: strong_weak`` (a bare name) and the old flat ``difficulty_threshold`` /
        ``quality_threshold`` keys become the typed strategy; the flat keys warn."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        strategy = data.get("strategy")
        if isinstance(strategy, str):
            data["strategy"] = strategy = {"type": strategy}
        for key, (kind, parameter) in FLAT_STRATEGY_KEYS.items():
            if key not in data:
                continue
            value = data.pop(key)
            warnings.warn(f"decision {data.get('name')!r}: '{key}' is deprecated, write 'strategy: {{type: {kind}, "
                          f"{parameter}: {value}}}'", DeprecationWarning, stacklevel=2)
            if isinstance(strategy, dict) and strategy.get("type") == kind:
                strategy.setdefault(parameter, value)
        return data

    @model_validator(mode="after")
    def _one_action(self) -> Decision:
        if self.model is not None:
            if self.models and self.models != [self.model]:
                raise ValueError("use either 'model' or 'models'")
            object.__setattr__(self, "models", [self.model])
        if bool(self.models) == (self.block is not None):
            raise ValueError("a decision needs exactly one of 'model'/'models' or 'block'")
        if self.strategy.type == "strong_weak" and len(self.models) != 2:
            raise ValueError("strong_weak needs models: [weak, strong]")
        if self.strategy.type == "cascade" and (len(self.models) != 3 or len(set(self.models)) != 3):
            raise ValueError("cascade needs models: [cheap, second_opinion, strong] (three different models)")
        if self.fallback is not None and len(set(self.models)) < 2:
            raise ValueError("fallback needs at least two models to fall back between")
        return self


class Privacy(StrictModel):
    """When a request is private, and where private requests go instead of an external model."""

    private_headers: dict[str, list[str]] = Field(
        default={}, description="Request header -> values that mark the request private (e.g. a tenant tier). "
        "Such a header is public only when sent once with exactly one of its public_values; a repeated header, a "
        "list of values or an unknown value is private.")
    public_values: dict[str, list[str]] = Field(
        default={}, description="Header -> the values that leave a request public (default: 'public').")
    fallback_model: str | None = Field(default=None, description="Local model for private requests; default: default_model.")


ENVOY_MESSAGE_TIMEOUT_MS = 1000
"""The ext_proc message timeout rendered into Envoy's config (``envoy_config``)."""


class Limits(StrictModel):
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="Larger bodies get a 413.")
    decision_ms: int = Field(
        default=500, ge=50, le=ENVOY_MESSAGE_TIMEOUT_MS - 200,
        description="The router's deadline for parsing, every signal and the decision, below Envoy's "
        f"{ENVOY_MESSAGE_TIMEOUT_MS} ms message timeout: past it, unfinished signals count as failed (gates follow "
        "on_error, an unfinished PII scan makes the request private) and the router still answers in time.")


REMOVABLE = ("decision", "signal", "model", "privacy_header")


class Policy(StrictModel):
    version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str = ""
    auto_model_names: list[str] = Field(default=["auto"], min_length=1, description="Model ids that ask the router to choose.")
    default_model: str = Field(description="Used when no decision matches; also Envoy's default route, so it must be local.")
    models: dict[str, ModelSpec] = Field(min_length=1)
    signals: Signals = Signals()
    decisions: list[Decision] = []
    privacy: Privacy = Privacy()
    limits: Limits = Limits()
    store: StoreSpec = Field(default=StoreSpec(), description="Where the cache and session affinity keep state.")
    cache: CacheSpec | None = Field(default=None, description="Answer repeated requests from a cache (off when absent).")
    affinity: AffinitySpec | None = Field(default=None, description="Conversations keep their model (off when absent).")
    fallback_models: list[str] = Field(
        default=[], description="Models to try, in order, when the chosen one cannot serve a request (a capability "
        "or the context window it lacks), after the decision's own other candidates.")
    allow_removal: list[str] = Field(
        default=[],
        description="Hot reload only: what this file deliberately drops from the policy in force, as "
        "'decision:NAME', 'signal:REF', 'model:NAME' or 'privacy_header:NAME'. A reload that drops anything "
        "not listed is refused, so a file cut short by a partial write cannot silently remove a gate.",
    )

    @field_validator("models")
    @classmethod
    def _model_names(cls, models: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
        for name in models:
            if not re.match(MODEL_NAME, name):
                raise ValueError(f"model name {name!r} must match {MODEL_NAME}")
        return models

    @field_validator("allow_removal")
    @classmethod
    def _removal_refs(cls, refs: list[str]) -> list[str]:
        for ref in refs:
            kind, _, name = ref.partition(":")
            if kind not in REMOVABLE or not name:
                raise ValueError(f"allow_removal entry {ref!r} must be one of {', '.join(k + ':NAME' for k in REMOVABLE)}")
        return refs

    def removable_items(self) -> set[str]:
        """What a hot reload may drop only when the new file says so in ``allow_removal``."""
        return (
            {f"decision:{d.name}" for d in self.decisions}
            | {f"signal:{ref}" for ref in self.signals.names()}
            | {f"model:{name}" for name in self.models}
            | {f"privacy_header:{name}" for name in self.privacy.private_headers}
        )

    @model_validator(mode="after")
    def _references(self) -> Policy:
        if self.default_model not in self.models:
            raise ValueError(f"default_model {self.default_model!r} is not one of models {sorted(self.models)}")
        if self.models[self.default_model].privacy != "local":
            raise ValueError(
                f"default_model {self.default_model!r} must have privacy 'local': it is also where Envoy "
                "sends traffic when the router is down"
            )
        clash = set(self.auto_model_names) & set(self.models)
        if clash:
            raise ValueError(f"auto_model_names {sorted(clash)} clash with model names")
        known_signals = self.signals.names()
        seen: set[str] = set()
        for decision in self.decisions:
            if decision.name in seen:
                raise ValueError(f"decision name {decision.name!r} is used twice")
            seen.add(decision.name)
            for model in decision.models:
                if model not in self.models:
                    raise ValueError(f"decision {decision.name!r}: model {model!r} is not one of models")
            for ref in sorted(decision.when.signal_refs() - known_signals):
                raise ValueError(
                    f"decision {decision.name!r}: signal {ref!r} is not defined (known: {sorted(known_signals)})"
                )
            for rule in decision.when.leaves():
                if rule.signal == "domain" and rule.is_:
                    unknown = sorted(set(rule.is_) - set(DOMAIN_LABELS))
                    if unknown:
                        raise ValueError(f"decision {decision.name!r}: unknown domain labels {unknown}")
        names = {d.name for d in self.decisions}
        for decision in self.decisions:
            fallback = decision.on_low_confidence
            if fallback and fallback.model and fallback.model not in self.models:
                raise ValueError(f"decision {decision.name!r}: fallback model {fallback.model!r} is not one of models")
            if fallback and fallback.decision and (fallback.decision not in names or fallback.decision == decision.name):
                raise ValueError(f"decision {decision.name!r}: fallback decision {fallback.decision!r} is not another decision")
        for model in self.fallback_models:
            if model not in self.models:
                raise ValueError(f"fallback_models: {model!r} is not one of models")
        fallback_model = self.privacy.fallback_model or self.default_model
        if fallback_model not in self.models or self.models[fallback_model].privacy != "local":
            raise ValueError(f"privacy.fallback_model {fallback_model!r} must be a 'local' model")
        self._resolve_difficulty_pair()
        return self

    def _resolve_difficulty_pair(self) -> None:
        """The difficulty signal scores the pair this policy routes between: its ``strong``/``weak``,
        else the first strong_weak ([weak, strong]) or cascade ([cheap, _, strong]) decision."""
        spec = self.signals.difficulty
        if spec is None:
            return
        weak, strong = spec.weak, spec.strong
        for name in (weak, strong):
            if name is not None and name not in self.models:
                raise ValueError(f"signals.difficulty: model {name!r} is not one of models")
        pair = next(((d.models[0], d.models[-1]) for d in self.decisions
                     if d.strategy.type in ("strong_weak", "cascade")), None)
        if pair is not None:
            weak, strong = weak or pair[0], strong or pair[1]
        outcome = {n: self.models[n].outcome_model for n in (weak, strong) if n is not None}
        if weak is not None and strong is not None and outcome[weak] and outcome[strong]:
            spec._outcomes = (outcome[strong], outcome[weak])

    @property
    def privacy_fallback(self) -> str:
        return self.privacy.fallback_model or self.default_model

    def served_ids(self, name: str) -> frozenset[str]:
        """The model ids model ``name``'s server must answer to: its provider id, and for the
        default model the auto names too, because a request that bypasses a dead router (fail
        open) reaches it with the body unchanged, ``"model": "auto"`` included."""
        ids = {self.models[name].provider_model_id}
        if name == self.default_model:
            ids |= set(self.auto_model_names)
        return frozenset(ids)

    def model_for_id(self, requested: str) -> str | None:
        """The policy's model name for a client's ``model`` (a name or a provider id)."""
        if requested in self.models:
            return requested
        for name, spec in self.models.items():
            if spec.provider_model_id == requested:
                return name
        return None
