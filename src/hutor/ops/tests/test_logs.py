"""HUTOR_LOG_FORMAT=json: one JSON object per event, with the request id and the account number,
and nothing of the request that could carry a secret."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from hutor import settings_ops
from hutor.ops.logs import JsonFormatter, RequestContextFilter


@pytest.fixture
def json_lines(monkeypatch, settings):
    settings.HUTOR_LOG_FORMAT = "json"
    monkeypatch.setattr(settings_ops, "HUTOR_LOG_FORMAT", "json")
    config = settings_ops.logging_config("INFO")["formatters"]["main"]
    assert config.pop("()") == "hutor.ops.logs.JsonFormatter"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**config))
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_a_request_logs_one_json_line_with_its_id_and_account(client, account_factory, json_lines):
    account = account_factory()
    client.force_login(account.user)
    response = client.get("/no-such-page/?token=very-secret", HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-12345678"
    [line] = json_lines()
    assert line["request_id"] == "req-12345678"
    assert line["account"] == account.number
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert "very-secret" not in json.dumps(line)
    assert "request" not in line


def test_a_request_without_an_id_gets_one(client, db, json_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    rid = response["X-Request-ID"]
    assert len(rid) == 32 and rid.isalnum()
    [line] = json_lines()
    assert line["request_id"] == rid and line["account"] == ""


def test_the_setting_switches_the_whole_process_to_json(tmp_path):
    """The real settings, in a fresh process: a command's log line is one JSON object."""
    env = {**os.environ, "HUTOR_LOG_FORMAT": "json", "HUTOR_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = (
        "import django, logging, os;"
        "os.environ['DJANGO_SETTINGS_MODULE']='hutor.settings_test';"
        "django.setup(); logging.getLogger('hutor.test').warning('hello %s', 'world')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello world" and line["logger"] == "hutor.test"
    assert {"time", "level", "request_id", "account"} <= set(line)
