"""Envoy's bootstrap rendered from the policy: listener, routes from the endpoint path table,
clusters per model, local replies in the API's shape, the overload manager."""

from router_extproc.envoy_config.bootstrap import EnvoyOptions, EnvoyPorts, render_bootstrap, render_bootstrap_yaml

__all__ = ["EnvoyOptions", "EnvoyPorts", "render_bootstrap", "render_bootstrap_yaml"]
