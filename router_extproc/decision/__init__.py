"""Decisions: policy rules over signal results that name the model for a request."""

from .engine import DecisionEngine, RouteChoice
from .rules import evaluate_rule

__all__ = ["DecisionEngine", "RouteChoice", "evaluate_rule"]
