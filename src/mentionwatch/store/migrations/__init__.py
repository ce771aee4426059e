"""Alembic migrations of the history store (``mentionwatch store upgrade``).

Every change to ``mentionwatch.store.schema`` comes with a revision here;
``tests/unit/test_store_migrations.py`` fails when the migrated schema and
``schema.metadata`` differ. Revisions are additive where at all possible, so
a newer writer and an older reader can share a database during a rollout.
"""
