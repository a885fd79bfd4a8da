"""Demo stack: OpenAI-compatible echo backends, and Envoy + router + backends on loopback."""
