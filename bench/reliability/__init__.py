"""The reliability and security suite: fuzzing, faults, path and header tricks, canary grep and
resources, all through the real Envoy and router on loopback (``make reliability``)."""
