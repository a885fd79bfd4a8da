"""Decisions: policy rules over signal results that name the model for a request."""

from router_extproc.decision.engine import DecisionEngine, RouteChoice
from router_extproc.decision.rules import evaluate_rule

__all__ = ["DecisionEngine", "RouteChoice", "evaluate_rule"]
