"""Every table, imported once so that Alembic and the model check see the whole schema."""


def load_all() -> None:
    """Import each domain's models (registering them on the shared metadata)."""
    import app.activities.models
    import app.engine.persist.activity_instances
    import app.engine.persist.external_tasks
    import app.engine.persist.models
    import app.events.models
    import app.idempotency
    import app.identity.models
    import app.notifications.models
    import app.org.models
    import app.planning.models
    import app.rectification.models
    import app.results.models
    import app.scores.models
    import app.sequences
    import app.supervision.models
    import app.webhooks.models  # noqa: F401
