"""Load a policy YAML file into a validated ``Policy`` with errors that name the field."""

from __future__ import annotations

import logging
import pathlib
import warnings

import yaml
from pydantic import ValidationError

from router_extproc.policy.spec import Policy

log = logging.getLogger(__name__)


class PolicyError(ValueError):
    """A policy that cannot be used; the message names the file, the field and the problem."""


def _format_validation(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid policy ({exc.error_count()} error(s))"]
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        lines.append(f"  - {where}: {error['msg']}")
    return "\n".join(lines)


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy must be a YAML mapping, got {type(data).__name__}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_format_validation(source, exc)) from None
    for warning in caught:  # old spellings still load, once per load, said where
        log.warning("%s: %s", source, warning.message)
    return policy


def load_policy(path: str | pathlib.Path) -> Policy:
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read policy: {exc}") from None
    return parse_policy(text, str(path))
