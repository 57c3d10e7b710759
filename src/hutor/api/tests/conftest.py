"""Fixtures of the API's tests: staff and customer tokens made by the real actions, and a
client that speaks JSON with a token; the world and the staff are the desk's."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.test import Client

from hutor.backoffice.tests import fixtures

_keys = itertools.count(1)


class Api:
    """The Django test client with a bearer token; POSTs get a fresh Idempotency-Key unless
    one is given (key=...)."""

    def __init__(self, client: Client, secret: str | None = None, language: str = "en") -> None:
        self.client = client
        self.secret = secret
        self.language = language

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": self.language}
        if self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        headers.update(extra or {})
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers(headers))

    def post(self, path: str, body: Any = None, *, key: str | None = "auto", headers=None):
        extra = dict(headers or {})
        if key == "auto":
            key = f"test-{next(_keys)}"
        if key is not None:
            extra["Idempotency-Key"] = key
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers(extra),
        )

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None):
        return self.client.put(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(headers),
        )


# The desk's world and staff (hutor/backoffice/tests/fixtures.py), shared rather than copied.
staff_factory = fixtures.staff_factory
world = fixtures.world


@pytest.fixture
def make_staff(staff_factory):
    """make_staff(role) -> a staff member of that desk role (no authenticator app)."""

    def make(role: str):
        return staff_factory(role, with_totp=False)

    return make


@pytest.fixture
def staff_api(db, make_staff, client):
    """staff_api(role, scopes=None) -> Api acting with a new staff token of that role."""
    from hutor.api import tokens

    admin = make_staff("admin")

    def make(role: str, scopes: list[str] | None = None, language: str = "en") -> Api:
        issued = tokens.create_staff_token(
            staff=admin, name=f"{role} robot", role=role, scopes=scopes, reason="tests"
        )
        return Api(Client(), issued.secret, language)

    make.admin = admin
    return make


@pytest.fixture
def customer_api(db):
    """customer_api(account) -> Api acting with a new customer token of that account."""
    from hutor.api import tokens

    def make(account, language: str = "en") -> Api:
        issued = tokens.create_customer_token(account=account, name="my script")
        return Api(Client(), issued.secret, language)

    return make


@pytest.fixture
def anonymous_api() -> Api:
    return Api(Client())
