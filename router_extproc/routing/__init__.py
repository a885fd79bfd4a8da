"""The routing domain: the policy's router (signals, decisions, closures), the actions that rewrite
a routed body, the request plan the request phases carry out and the observer of the answer."""
