"""The web inbox's accounts (``web_users``) and its audit log (``web_audit``).

Who may sign in, with which role and for which subjects, is in the config;
the store keeps only each account's password hash (argon2, computed by
``mentionwatch.web``; this part never sees a password) and the append-only
audit log of what was done in the inbox.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from mentionwatch.store import schema
from mentionwatch.store.base import StoreBase


class AccountStore(StoreBase):
    """Stores web accounts' password hashes and the inbox's audit log."""

    def set_password_hash(self, name: str, password_hash: str, at: dt.datetime) -> bool:
        """Sets ``name``'s password hash; returns True when the account is new."""
        table = schema.web_users
        with self.transaction() as connection:
            updated = connection.execute(
                sa.update(table)
                .where(table.c.name == name)
                .values(password_hash=password_hash, updated_at=at)
            ).rowcount
            if updated:
                return False
            connection.execute(
                sa.insert(table).values(
                    name=name, password_hash=password_hash, created_at=at, updated_at=at
                )
            )
        return True

    def password_hash(self, name: str) -> str | None:
        """``name``'s stored password hash, or None when the account has none."""
        table = schema.web_users
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(table.c.password_hash).where(table.c.name == name)
            ).scalar_one_or_none()

    def account_names(self) -> list[str]:
        """Every account with a password, by name."""
        table = schema.web_users
        with self.engine.connect() as connection:
            return list(
                connection.execute(sa.select(table.c.name).order_by(table.c.name)).scalars()
            )

    def remove_account(self, name: str) -> bool:
        """Deletes ``name``'s password (she can no longer sign in); True when there was one."""
        table = schema.web_users
        with self.transaction() as connection:
            return bool(connection.execute(sa.delete(table).where(table.c.name == name)).rowcount)

    def audit(
        self,
        user: str,
        action: str,
        at: dt.datetime,
        *,
        target: str = "",
        detail: str = "",
        remote: str = "",
    ) -> None:
        """Appends one line to the audit log."""
        with self.transaction() as connection:
            connection.execute(
                sa.insert(schema.web_audit).values(
                    time=at, user=user, action=action, target=target, detail=detail, remote=remote
                )
            )

    def audit_log(
        self, *, user: str | None = None, action: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` audit lines (of ``user``, of ``action``), newest first."""
        table = schema.web_audit
        statement = sa.select(table).order_by(table.c.time.desc(), table.c.id.desc()).limit(limit)
        if user is not None:
            statement = statement.where(table.c.user == user)
        if action is not None:
            statement = statement.where(table.c.action == action)
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(statement).mappings()]
