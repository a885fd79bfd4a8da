"""Which part of the conversation a lexical signal reads."""

from __future__ import annotations

from typing import Literal

from router_extproc.endpoints import ParsedRequest

Scope = Literal["last_user", "user", "conversation"]


def text_in_scope(request: ParsedRequest, scope: Scope) -> str:
    if scope == "last_user":
        return request.last_user_text
    if scope == "user":
        return request.user_text
    return request.conversation_text
