"""The response cache (exact, then semantic) and session affinity, over one store per process."""
