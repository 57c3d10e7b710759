"""Safe by default: every page carries a Content-Security-Policy that allows scripts only from
Hutor's own static files, no template holds an inline script or event handler it would refuse,
and an https install redirects plain http and sends HSTS without the operator asking."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

import hutor

pytestmark = pytest.mark.django_db

TEMPLATES = Path(hutor.__file__).parent


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", ["/", "/login/", "/desk/login/", "/domains/"])
def test_every_page_has_a_policy_with_scripts_from_hutor_only(path, catalog):
    response = Client().get(path)
    assert response.status_code in (200, 302)
    rules = policy(response)
    assert rules["script-src"] == ["'self'"]  # no inline script, no eval, no other host
    assert rules["frame-ancestors"] == ["'none'"] and rules["object-src"] == ["'none'"]
    assert "form-action" not in rules  # the payment redirect posts to the payment service


def test_no_template_has_an_inline_script_or_handler():
    """What the policy would refuse in a browser, found in the source: a <script> without src
    (JSON data blocks excepted) or an on...= attribute."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
    handler = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)[:60]}"
        for path in TEMPLATES.rglob("*.html")
        for pattern in (inline, handler)
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def _settings_of(environment: dict[str, str]) -> dict[str, object]:
    """The security settings an install with this environment starts with."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); print(json.dumps("
        "{k: getattr(settings, k, None) for k in ('SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS',"
        " 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE')}))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HUTOR_", "DEBUG", "DATABASE_URL"))
    }
    env.update(
        {"DJANGO_SETTINGS_MODULE": "hutor.settings", "SECRET_KEY": "test-only", **environment}
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_https_install_behind_its_proxy_is_https_only_by_default():
    https = _settings_of(
        {"HUTOR_BASE_URL": "https://billing.example.ru", "HUTOR_TRUSTED_PROXY_COUNT": "1"}
    )
    assert https == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_SECURE": True,
    }
    # Plain http (a local demo) changes none of it; HSTS never goes out over http anyway.
    local = _settings_of({"HUTOR_BASE_URL": "http://127.0.0.1:8000", "DEBUG": "1"})
    assert local["SECURE_SSL_REDIRECT"] is False and local["SECURE_HSTS_SECONDS"] == 0


def test_the_redirect_and_hsts_as_a_browser_sees_them(settings, catalog):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    client = Client()
    plain = client.get("/", headers={"x-forwarded-proto": "http"})
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
