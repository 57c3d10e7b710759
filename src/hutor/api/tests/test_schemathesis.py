"""Schemathesis against the OpenAPI document: every operation, with generated valid and
invalid input, called in-process through the WSGI application with an administrator's token
on a small world: never a 500, and every answer matches the document (status code, content
type, body schema). A few examples per operation keep it to about two minutes per database.

Generated path parameters would find nothing (every answer a 404), so three examples in four
get the world's real objects instead (`REAL`): the company customer's account number, its
paid hosting service, its unpaid invoice, its credited card payment. The operations then
read, write and refuse on real rows (an order placed, an invoice cancelled, a service
suspended then refused to be suspended again), and each answer is still checked against the
document; `test_real_objects_are_reached` proves the substitution reaches them."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi import checks as openapi_checks

from hutor.api.api import api
from hutor.backoffice.models import Role
from hutor.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = 12
# Which examples get real objects in their path: three in four (the fourth keeps what was
# generated, for the 404s).
REAL = itertools.cycle([True, True, True, False])


def real_path(template: str, world: Any) -> dict[str, str]:
    """The world's object for each parameter of a path template."""
    if template.startswith("/api/v1/accounts/{number}"):
        return {"number": world.account.number}
    if template.startswith("/api/v1/invoices/{number}"):
        return {"number": world.unpaid_invoice.number}
    if template.startswith("/api/v1/payments/{number}"):
        return {"number": world.payment.number}
    if template.startswith("/api/v1/services/{pk}"):
        return {"pk": str(world.hosting.pk)}
    return {}


schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), default=str))
)
schema.app = application


@pytest.fixture
def token(world, staff_api, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    # As Django's test client does: the WSGI handler would close the test's connection (and
    # its transaction) at the end of every request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield staff_api(Role.ADMIN).secret
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.slow  # about two minutes per database (measured: docs/api.md, "Tests")
@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_document(case, token, world):
    if case.path_parameters and next(REAL):
        case.path_parameters = {**case.path_parameters, **real_path(case.path, world)}
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    case.call_and_validate(
        checks=[
            schemathesis.checks.not_a_server_error,
            openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance,
            openapi_checks.response_schema_conformance,
        ],
    )


def test_real_objects_are_reached(world, staff_api):
    """Every templated path of the document resolves to one of the world's objects, and GET on
    it finds it (200), so the examples above work on real rows rather than on 404s."""
    api = staff_api(Role.ADMIN)
    document = api.get("/openapi.json").json()
    templated = [path for path in document["paths"] if "{" in path]
    assert templated
    for template in templated:
        values = real_path(template, world)
        assert values, template
        if "get" in document["paths"][template]:
            path = template.format(**values).removeprefix("/api/v1")
            params = {"tariff": "pro"} if path.endswith("tariff-quote") else {}
            assert api.get(path, **params).status_code == 200, template
