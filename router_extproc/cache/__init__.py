"""The response cache (exact, then semantic) and the store it shares with session affinity."""
