"""The routing policy: pydantic models (the single source of validation) and the YAML loader."""

from .loader import PolicyError, load_policy, parse_policy
from .models import Policy

__all__ = ["Policy", "PolicyError", "load_policy", "parse_policy"]
