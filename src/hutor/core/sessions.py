"""The session engine (settings.SESSION_ENGINE): Django's database sessions, read by one fixed
statement.

Every request of a logged-in browser loads its session row before anything else; Django's
database backend builds that lookup as a queryset each time, which cost about ten times what
the database takes to answer it (docs/performance.md, "The panel home page"). This engine
reads the same row with the same condition (the key, and an expiry date still in the future)
by a `core.reads.Read`, and decodes it with Django's own signed decoding: a tampered or
foreign row is an empty session, as before. Saving, creating, deleting and clearing expired
sessions are Django's, unchanged, and so is the table: sessions written before the switch are
read as they were.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from hutor.core import reads


def _load_sql() -> str:
    return (
        f"SELECT {reads.column(Session, 'session_data')} FROM {reads.table(Session)} "  # noqa: S608
        f"WHERE {reads.column(Session, 'session_key')} = %s "
        f"AND {reads.column(Session, 'expire_date')} > %s"
    )


_LOAD = reads.Read(_load_sql, [None])


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        """The session's data, or {} (and no key: a new one is made on save) when its row is
        missing or expired, as Django's `load()`."""
        # The expiry instant as the ORM would bind it (SQLite stores a naive UTC text).
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = _LOAD.rows([self.session_key, now])
        if not rows:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(rows[0][0])
        return data
