"""Reading settings from the environment: the helpers settings.py and settings_ops.py share."""

from __future__ import annotations

import os
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def replica_database() -> dict[str, Any] | None:
    """The "replica" alias from DATABASE_REPLICA_URL (a PostgreSQL streaming replica of the
    primary), or None when it is not set. Only core.replica.reading() blocks read from it."""
    url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    if not url:
        return None
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL")
    # Under a test runner the replica is the primary's test database (nothing to create).
    config["TEST"] = {"MIRROR": "default"}
    return config


def with_prepared_statements(config: dict[str, Any]) -> dict[str, Any]:
    """The database's OPTIONS, with those of server-side prepared statements on PostgreSQL
    unless DATABASE_PREPARED_STATEMENTS is off (`0`): parameters bound by the server (Django's
    `server_side_binding`) and a statement run DATABASE_PREPARE_THRESHOLD times (default 5) on
    a kept connection prepared by psycopg, so the server parses and plans it once; the panel's
    fixed reads, the session's and the login's are the same statements on every request
    (docs/performance.md, "The panel home page"). On by default since 2 Dec 2026 (the whole
    suite passes with them); to be turned off behind a pooler in transaction mode that does not
    keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements)."""
    options = dict(config.get("OPTIONS", {}))
    if config["ENGINE"] == "django.db.backends.postgresql" and env_flag(
        "DATABASE_PREPARED_STATEMENTS", True
    ):
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", env_int("DATABASE_PREPARE_THRESHOLD", 5))
    return options
