"""Settings come from the environment; each case imports them fresh in a subprocess."""

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, hutor.settings as s
print(json.dumps({
    "debug": s.DEBUG, "engine": s.DATABASES["default"]["ENGINE"],
    "name": str(s.DATABASES["default"]["NAME"]),
    "options": s.DATABASES["default"].get("OPTIONS", {}),
    "email_backend": s.EMAIL_BACKEND, "email_host": getattr(s, "EMAIL_HOST", None),
    "email_port": getattr(s, "EMAIL_PORT", None), "email_path": getattr(s, "EMAIL_FILE_PATH", None),
    "secret": s.SECRET_KEY, "tz": s.TIME_ZONE, "lang": s.LANGUAGE_CODE,
    "languages": [code for code, _ in s.LANGUAGES], "base_url": s.HUTOR_BASE_URL,
    "hosts": s.ALLOWED_HOSTS,
}))
"""


def load(tmp_path, **env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "DATABASE_PREPARED_STATEMENTS",
            "DATABASE_PREPARE_THRESHOLD",
            "EMAIL_URL",
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "HUTOR_BASE_URL",
            "TIME_ZONE",
        }
    }
    clean.update({"HUTOR_VAR_DIR": str(tmp_path), **env})
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=clean, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout)


def test_defaults_are_a_local_sqlite_demo(tmp_path):
    s = load(tmp_path, DEBUG="1")
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"] == str(tmp_path / "hutor.sqlite3")
    assert s["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in s["options"]["init_command"]
    assert "synchronous=FULL" in s["options"]["init_command"]
    assert s["email_backend"].endswith("filebased.EmailBackend")
    assert s["email_path"] == str(tmp_path / "mail")
    assert s["tz"] == "Europe/Moscow"
    assert s["lang"] == "ru" and s["languages"] == ["ru", "en"]


def test_the_local_secret_key_is_generated_once_and_kept(tmp_path):
    first = load(tmp_path, DEBUG="1")["secret"]
    assert len(first) >= 50
    assert load(tmp_path, DEBUG="1")["secret"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_without_debug_a_secret_key_is_required(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set when DEBUG is off"):
        load(tmp_path, DEBUG="0")
    s = load(tmp_path, DEBUG="0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="billing.example.com")
    assert s["debug"] is False and s["hosts"] == ["billing.example.com"]


def test_without_debug_the_key_kept_under_var_is_used(tmp_path):
    """A checkout's commands after `make run` (which generated the key) work without DEBUG."""
    generated = load(tmp_path, DEBUG="1")["secret"]
    assert load(tmp_path, DEBUG="0")["secret"] == generated
    assert load(tmp_path, DEBUG="0", SECRET_KEY="k" * 50)["secret"] == "k" * 50


def test_the_base_url_defaults_to_the_address_make_run_wrote(tmp_path):
    assert load(tmp_path, DEBUG="1")["base_url"] == "http://127.0.0.1:8000"
    (tmp_path / "base_url").write_text("http://127.0.0.1:8099\n")
    assert load(tmp_path, DEBUG="1")["base_url"] == "http://127.0.0.1:8099"
    assert load(tmp_path, DEBUG="1", HUTOR_BASE_URL="https://b.example/")["base_url"] == (
        "https://b.example"
    )


def test_database_and_email_urls(tmp_path):
    s = load(
        tmp_path,
        DEBUG="1",
        DATABASE_URL="postgres://hutor@db.example.com:5433/billing",
        EMAIL_URL="smtp://127.0.0.1:2525",
        HUTOR_BASE_URL="https://billing.example.com/",
        TIME_ZONE="Asia/Yekaterinburg",
    )
    assert s["engine"] == "django.db.backends.postgresql" and s["name"] == "billing"
    assert s["email_backend"].endswith("smtp.EmailBackend")
    assert (s["email_host"], s["email_port"]) == ("127.0.0.1", 2525)
    assert s["base_url"] == "https://billing.example.com"
    assert s["tz"] == "Asia/Yekaterinburg"


def test_an_unknown_email_scheme_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="unsupported scheme"):
        load(tmp_path, DEBUG="1", EMAIL_URL="pigeon://coop")


CONNECTION_PROBE = """
import json, hutor.settings as s
db = s.DATABASES["default"]
print(json.dumps([db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]]))
"""


def connection_settings(tmp_path, module: str = "hutor.settings", **env: str) -> list:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    clean.update({"HUTOR_VAR_DIR": str(tmp_path), "DEBUG": "1", **env})
    probe = CONNECTION_PROBE.replace("hutor.settings", module)
    result = subprocess.run(
        [sys.executable, "-c", probe], env=clean, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout)


def test_web_processes_keep_their_database_connection_for_a_minute_by_default(tmp_path):
    postgres = "postgres://hutor@db.example.com:5433/billing"
    assert connection_settings(tmp_path, DATABASE_URL=postgres) == [60, True]
    assert connection_settings(tmp_path) == [60, True]  # SQLite too
    assert connection_settings(
        tmp_path,
        DATABASE_URL=postgres,
        DATABASE_CONN_MAX_AGE="0",
        DATABASE_CONN_HEALTH_CHECKS="off",
    ) == [0, False]
    assert connection_settings(tmp_path, DATABASE_CONN_MAX_AGE="600") == [600, True]
    # The test suite opens a connection per request, as before the setting existed.
    assert connection_settings(tmp_path, "hutor.settings_test", DATABASE_URL=postgres)[0] == 0


def test_a_connection_age_that_is_not_a_number_is_a_configuration_error(tmp_path):
    with pytest.raises(RuntimeError, match="DATABASE_CONN_MAX_AGE must be a whole number"):
        connection_settings(tmp_path, DATABASE_CONN_MAX_AGE="forever")


def test_prepared_statements_are_a_postgresql_option_on_by_default(tmp_path):
    postgres = "postgres://hutor@db.example.com:5433/billing"
    for unset in [{}, {"DATABASE_PREPARED_STATEMENTS": ""}]:
        on = load(tmp_path, DEBUG="1", DATABASE_URL=postgres, **unset)
        assert on["options"]["server_side_binding"] is True
        assert on["options"]["prepare_threshold"] == 5
    for value in ["0", "off", "no", "false"]:
        off = load(tmp_path, DEBUG="1", DATABASE_URL=postgres, DATABASE_PREPARED_STATEMENTS=value)
        assert "server_side_binding" not in off["options"]
        assert "prepare_threshold" not in off["options"]
    on = load(tmp_path, DEBUG="1", DATABASE_URL=postgres, DATABASE_PREPARED_STATEMENTS="1")
    assert on["options"]["server_side_binding"] is True
    later = load(tmp_path, DEBUG="1", DATABASE_URL=postgres, DATABASE_PREPARE_THRESHOLD="2")
    assert later["options"]["prepare_threshold"] == 2
    sqlite = load(tmp_path, DEBUG="1")
    assert "server_side_binding" not in sqlite["options"]
    assert sqlite["options"]["transaction_mode"] == "IMMEDIATE"
