"""The default cache is a table in the database, created by `migrate`, and shared by every
process: a used one-time code or a failed-login count recorded by one web process is seen by
the next (finding 12: with the memory of each process, `gunicorn --workers 3` let one desk code
log in three times and checked 14 of 15 wrong passwords).

Each case starts real processes with the real settings (hutor.settings, no CACHE_URL) against
a database file of its own, and on a PostgreSQL run against the test database too."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from hutor.backoffice.tests.conftest import totp

PROBE = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import encrypt

action, args = sys.argv[1], sys.argv[2:]
if action == "describe":
    cache.set("probe", "kept", 60)
    print(json.dumps({
        "backend": settings.CACHES["default"]["BACKEND"],
        "table": settings.CACHES["default"].get("LOCATION"),
        "tables": connection.introspection.table_names(),
        "probe": cache.get("probe"),
    }))
elif action == "use-code":  # the desk's login step: a code is good once (allauth's store)
    user_id, secret, code = args
    authenticator = Authenticator(user_id=int(user_id), type=Authenticator.Type.TOTP)
    authenticator.data = {"secret": encrypt(secret)}
    print(json.dumps(TOTP(authenticator).validate_code(code)))
elif action == "fail-login":  # a failed customer login: allauth's login_failed rate limit
    email, times = args[0], int(args[1])
    request = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.1")
    allowed = [ratelimit.consume(request, action="login_failed", key=email) for _ in range(times)]
    print(json.dumps(allowed))
"""


def _env(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith("HUTOR_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hutor.settings",
        HUTOR_VAR_DIR=str(tmp_path),
        SECRET_KEY="cache-test-only",
        DEBUG="0",
        LOG_LEVEL="CRITICAL",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _probe(env: dict[str, str], *args: str):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-c", "from hutor.cli import main; main()", "migrate", "-v0"],
        env=env,
        check=True,
        timeout=300,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.django_db)])
def shared_env(request, tmp_path):
    """The environment of processes sharing one database: a fresh SQLite file, migrated here;
    on a PostgreSQL run, also the test database (migrated by the test run)."""
    if request.param == "sqlite":
        env = _env(tmp_path, None)
        _migrate(env)
        return env
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL case runs when the tests run on PostgreSQL")
    s = connection.settings_dict
    url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return _env(tmp_path, f"{url}/{s['NAME']}")


def test_without_cache_url_the_cache_is_a_table_that_migrate_creates(tmp_path):
    env = _env(tmp_path, None)
    _migrate(env)  # `migrate` only: no `createcachetable`
    described = _probe(env, "describe")
    assert described["backend"] == "django.core.cache.backends.db.DatabaseCache"
    assert described["table"] == "hutor_cache" and "hutor_cache" in described["tables"]
    assert described["probe"] == "kept"


def test_a_code_used_in_one_process_is_refused_in_another(shared_env):
    user_id = str(10**9 + secrets.randbelow(10**9))
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    for _attempt in range(3):
        code = totp(secret)
        first = _probe(shared_env, "use-code", user_id, secret, code)
        second = _probe(shared_env, "use-code", user_id, secret, code)
        if code == totp(secret):  # both inside one 30 s step (else the code simply expired)
            assert (first, second) == (True, False)
            return
    pytest.fail("three attempts crossed a 30 s step")


def test_failed_logins_counted_in_one_process_are_counted_in_another(shared_env):
    email = f"victim-{secrets.token_hex(4)}@example.com"
    allowed = _probe(shared_env, "fail-login", email, "50")
    assert allowed[0] and not allowed[-1]  # the limit was reached in the first process
    assert _probe(shared_env, "fail-login", email, "1") == [False]
