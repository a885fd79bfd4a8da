"""Offline training: the static table and the heads. Needs the dev extras (scikit-learn)."""
