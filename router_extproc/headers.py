"""Every header name the router reads or writes, in one place (Envoy routes on these)."""

SELECTED_MODEL = "x-selected-model"
"""Request header the Envoy routes match on; the router sets it, Envoy strips a client's copy."""

ROUTER_DECISION = "x-router-decision"
"""Response header: name of the decision that chose the model (or why the request was refused)."""

ROUTER_MODEL = "x-router-model"
"""Response header: the policy's name of the model that served the request."""

ROUTER_REASON = "x-router-reason"
"""Response header: short machine-readable reason (e.g. ``rule``, ``default``, ``explicit``)."""

ROUTER_SIGNALS = "x-router-signals"
"""Response header: compact signal scores and fixed-vocabulary labels; never prompt text."""

ROUTER_POLICY = "x-router-policy"
"""Response header: version of the policy that decided (changes on hot reload)."""

ROUTER_CASCADE = "x-router-cascade-outcome"
"""Response header of a cascaded request: ``kept:<reason>`` or ``escalated:<reason>`` (agree, disagree, ...)."""

ROUTER_CALLS = "x-router-calls"
"""Response header when a request made several model calls: ``model:status`` per call, in order."""

ROUTER_COST = "x-router-cost-usd"
"""Response header of a cascaded request: the cost of all its calls at the policy's prices."""

ROUTER_USAGE = "x-router-usage"
"""Response header of a cascaded request: ``prompt=N,completion=M`` tokens over all its calls."""

ROUTER_FALLBACK = "x-router-fallback"
"""Request header the router sets (Envoy strips a client's copy): the fallback chain Envoy may retry on."""
ROUTER_CACHE = "x-router-cache"
"""Response header: ``hit`` (answered from the cache), ``miss`` (looked up, then stored if
whole) or ``bypass`` (not cacheable, private, no tenant, or the store unavailable)."""

REQUEST_ID = "x-request-id"
CONTENT_LENGTH = "content-length"
CONTENT_TYPE = "content-type"
CONTENT_ENCODING = "content-encoding"
PATH = ":path"
METHOD = ":method"
STATUS = ":status"
