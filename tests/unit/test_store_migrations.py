"""Schema migrations (Alembic) on SQLite and PostgreSQL: they build exactly ``schema.metadata``.

If this file fails after a change to ``store/schema.py``, add a revision under
``src/mentionwatch/store/migrations/versions`` (docs/history.md, "Changing
the schema").
"""

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from mentionwatch.store import HistoryStore, schema
from mentionwatch.store.engine import StoreSchemaError, make_engine
from mentionwatch.store.migrate import (
    current_revision,
    differences,
    downgrade,
    head_revision,
    known_revisions,
    upgrade,
)


def revision_of(engine):
    with engine.connect() as connection:
        return current_revision(connection)


def test_a_new_store_is_migrated_to_head_and_matches_the_code(store):
    assert revision_of(store.engine) == head_revision()
    # compare_metadata: tables, columns, types, nullability, indexes, unique constraints.
    assert differences(store.engine) == []


def test_every_revision_downgrades_and_upgrades_again(store):
    engine = store.engine
    assert downgrade(engine, "base") == (head_revision(), None)
    assert sa.inspect(engine).get_table_names() in ([], ["alembic_version"])
    assert upgrade(engine) == (None, head_revision())
    assert differences(engine) == [] and len(known_revisions()) >= 2


def test_a_store_made_before_migrations_is_adopted(store_url):
    # What `metadata.create_all` made before Alembic: the first revision's tables, no version table.
    engine = make_engine(store_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
        connection.execute(
            sa.text(
                "INSERT INTO items (id, source, url, title, text, author, raw_ref, stored_at) "
                "VALUES ('it_old', 'forum', 'https://www.old.example/p/1', '', "
                "'Dana Reyes, you idiot', 'anon', '', :t)"
            ),
            {"t": dt.datetime(2026, 1, 5, tzinfo=dt.UTC)},
        )
        for version, when in (
            ("1", dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)),
            ("2", dt.datetime(2026, 2, 1, tzinfo=dt.UTC)),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO mentions (mention_id, item_id, subject, label, "
                    "harassment_type, score, scores, spans, signals, "
                    "model_id, model_version, thresholds, source, published_at, "
                    "classified_at) VALUES "
                    "('mn_old', 'it_old', 'Dana Reyes', 'harassment', 'insult', 0.91, "
                    "'{}', '[]', '[]', 'm', :v, "
                    "'{\"harassment\": 0.5}', 'forum', :p, :c)"
                ),
                {"v": version, "p": dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), "c": when},
            )
    engine.dispose()

    store = HistoryStore(store_url)  # adopts and upgrades on open
    assert revision_of(store.engine) == head_revision() and differences(store.engine) == []
    with store.engine.connect() as connection:
        old = (
            connection.execute(sa.select(schema.mentions).order_by(schema.mentions.c.model_version))
            .mappings()
            .all()
        )
    assert [(r["model_version"], r["is_current"]) for r in old] == [("1", False), ("2", True)]
    assert {r["domain"] for r in old} == {"old.example"} and {r["author"] for r in old} == {"anon"}
    assert {r["severity"] for r in old} == {"medium"}  # an insult well above its threshold
    occurred = old[0]["occurred_at"]
    assert (occurred if occurred.tzinfo else occurred.replace(tzinfo=dt.UTC)) == dt.datetime(
        2026, 1, 5, 9, tzinfo=dt.UTC
    )
    store.close()


def test_a_store_from_a_newer_version_is_left_alone(store):
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(StoreSchemaError, match="9999_future.*newer version.*nothing was changed"):
        HistoryStore(store.url)


def test_without_automatic_upgrades_opening_names_the_command(store_url, monkeypatch):
    engine = make_engine(store_url)
    upgrade(engine, "0001")
    engine.dispose()
    monkeypatch.setenv("MENTIONWATCH_STORE_AUTO_UPGRADE", "0")
    with pytest.raises(StoreSchemaError, match="mentionwatch store upgrade CONFIG"):
        HistoryStore(store_url)
    monkeypatch.delenv("MENTIONWATCH_STORE_AUTO_UPGRADE")
    assert revision_of(HistoryStore(store_url).engine) == head_revision()


def test_workers_opening_a_fresh_store_at_once_migrate_it_once(store_url):
    errors, opened = [], []

    def open_store():
        try:
            opened.append(HistoryStore(store_url))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(opened) == 6
    assert revision_of(opened[0].engine) == head_revision() and differences(opened[0].engine) == []
    for store in opened:
        store.close()


def test_an_in_memory_sqlite_store_works():
    store = HistoryStore("sqlite://")
    assert revision_of(store.engine) == head_revision()
