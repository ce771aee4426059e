"""Alembic environment of the history store.

Run through ``mentionwatch.store.migrate`` (``HistoryStore`` on open, or
``mentionwatch store upgrade CONFIG``), which hands over a connection that
already holds the migration lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL
advisory lock), so concurrent workers opening a fresh store migrate it once.
The plain ``alembic`` command works too, with ``-x url=...``.
"""

from __future__ import annotations

from alembic import context

from mentionwatch.store import schema

config = context.config


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=schema.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    _configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from mentionwatch.store.migrate import migration_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = migration_engine(url)
    try:
        with engine.begin() as connection:
            _configure(connection=connection, transactional_ddl=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
