"""Routing-quality metrics (RouteLLM's definitions) shared by training reports and ``eval``."""
