"""The pure rules of webhooks: which events a subscription wants, and when to try again."""


def wants_type(patterns: list[str], event_type: str) -> bool:
    """`*`, the exact type, or its family (`ducha.matter.*` wants `ducha.matter.urged`)."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def in_scope(scope_paths: list[str], event_paths: list[str]) -> bool:
    """One of the event's units is a scope unit or below one (unit paths, `/`-terminated)."""
    return any(event.startswith(scope) for scope in scope_paths for event in event_paths)


def backoff(tries: int, schedule: list[float], draw: float) -> float:
    """Seconds to wait after the `tries`-th failed attempt: full jitter under the schedule.

    A random wait between 1 s and the schedule's ceiling for that retry (`draw` in [0, 1)), so
    that many deliveries failing together do not retry together.
    """
    ceiling = schedule[min(tries, len(schedule)) - 1]
    return min(ceiling, max(1.0, ceiling * draw))
