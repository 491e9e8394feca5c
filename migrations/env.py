"""Alembic environment: the models' metadata, the URL from settings unless given."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine

from app.config import get_settings
from app.db import Base
from app.models import load_all
from app.partitions import modelled, modelled_object

config = context.config
if config.config_file_name and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)

load_all()
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # the monthly partitions are made by the partitions worker, not by a model
        include_name=modelled,
        include_object=modelled_object(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:  # app.migrate holds an advisory lock on this connection
        _run(given)
        return
    connectable = create_engine(_url())
    with connectable.connect() as connection:
        _run(connection)
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
