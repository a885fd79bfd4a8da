"""The routing policy: pydantic models (the single source of validation) and the YAML loader."""

from router_extproc.policy.loader import PolicyError, load_policy, parse_policy
from router_extproc.policy.spec import Policy

__all__ = ["Policy", "PolicyError", "load_policy", "parse_policy"]
