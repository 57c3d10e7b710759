"""Schemathesis against the OpenAPI document: every operation, with generated valid and
invalid input, called in-process through the WSGI application with an administrator's token
on a small world: never a 500, and every answer matches the document (status code, content
type, body schema). A few examples per operation keep it to about a minute per database."""

from __future__ import annotations

import json

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


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_document(case, token):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    case.call_and_validate(
        checks=[
            schemathesis.checks.not_a_server_error,
            openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance,
            openapi_checks.response_schema_conformance,
        ],
    )
