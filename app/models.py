"""Every table, imported once so that Alembic and the model check see the whole schema."""


def load_all() -> None:
    """Import each domain's models (registering them on the shared metadata)."""
    import app.engine.models  # noqa: F401
    import app.identity.models  # noqa: F401
    import app.org.models  # noqa: F401
