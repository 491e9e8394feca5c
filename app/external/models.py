"""Tables of external tasks."""
