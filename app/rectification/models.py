"""Tables of rectification with a deadline (限期整改)."""
