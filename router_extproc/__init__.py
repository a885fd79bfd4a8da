"""router-extproc: an Envoy ext_proc service that picks the model for each LLM request.

The data path reads top to bottom: ``servicer`` (stream loop) -> ``processor`` (per-phase
hooks) -> ``openai_request`` (request model) -> ``signals`` -> ``decision`` -> ``actions``
-> ``responses`` (ProcessingResponse builders).
"""

__version__ = "0.1.0"
