"""The policy file's JSON schema, generated from the same pydantic models that validate it."""

from __future__ import annotations

import json

from router_extproc.policy.spec import Policy


def policy_json_schema() -> str:
    schema = Policy.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "router-extproc policy"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
