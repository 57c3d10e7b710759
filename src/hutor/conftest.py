"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

settings.register_profile(
    "hutor",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("hutor")


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings as dj

    db = dj.DATABASES["default"]
    return f"hutor database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings as dj

    on_postgres = dj.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if os.environ.get("HUTOR_REQUIRE_POSTGRES") and not on_postgres:
        raise pytest.UsageError("HUTOR_REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
    if not on_postgres:
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def vendor() -> str:
    return connection.vendor


@pytest.fixture
def account_factory(db):
    """Open billing accounts through the real action; emails are unique per call."""
    from hutor.accounts.actions import open_billing_account

    counter = iter(range(1, 1_000_000))

    def make(**kwargs):
        n = next(counter)
        kwargs.setdefault("email", f"customer{n}@example.com")
        kwargs.setdefault("name", f"Customer {n}")
        return open_billing_account(**kwargs)

    return make
