"""Schemathesis' stateful run: sequences of calls that follow the document's links (api/links.py)
— an account opened, then read, ordered into, invoiced, paid into; an order's service and
invoice read and cancelled; a service renewed, suspended, quoted — each answer checked against
the document (never a 500, the status codes, content types and bodies it declares). The run
starts from the operations without path parameters (POST /accounts and the reads) on a small
world, with an administrator's token."""

from __future__ import annotations

import itertools
import json
import uuid
from collections import defaultdict

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi import checks as openapi_checks

from hutor.api.api import api
from hutor.backoffice.models import Role
from hutor.wsgi import application

pytestmark = pytest.mark.django_db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


def document() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), default=str))


def test_the_document_links_each_answer_to_the_operations_its_values_open():
    paths = document()["paths"]
    ids = {op["operationId"] for item in paths.values() for op in item.values()}
    links = paths["/api/v1/accounts"]["post"]["responses"]["201"]["links"]
    assert links["GetAccount"]["parameters"] == {"number": "$response.body#/number"}
    order = paths["/api/v1/accounts/{number}/orders"]["post"]["responses"]["201"]["links"]
    assert order["GetService"]["parameters"] == {"pk": "$response.body#/service/id"}
    every = [
        link
        for item in paths.values()
        for op in item.values()
        for answer in op["responses"].values()
        for link in answer.get("links", {}).values()
    ]
    assert len(every) >= 20 and all(link["operationId"] in ids for link in every)


@pytest.mark.slow  # about a minute per database
def test_calls_that_follow_the_links_keep_the_document(world, staff_api, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    # No per-minute limits: a 429 depends on the clock, not on the calls, and Hypothesis
    # refuses a run whose replays go differently (the limits have their own tests).
    settings.HUTOR_API_REQUESTS_PER_MINUTE = 0
    settings.HUTOR_API_WRITES_PER_MINUTE = 0
    schema = schemathesis.openapi.from_dict(document())
    schema.app = application
    secret = staff_api(Role.ADMIN).secret
    opened: set[str] = set()  # accounts the run opened (POST /accounts answered 201)
    followed: list[tuple[str, str, int]] = []  # calls on an opened account, and their status

    made: defaultdict = defaultdict(lambda: itertools.count(1))

    class Calls(schema.as_state_machine()):  # type: ignore[misc]
        # Every example starts from the same database: what one example wrote would change the
        # answers the next one gets to the same calls, and Hypothesis refuses a run whose data
        # depends on anything but its own draws.
        def setup(self):
            made.clear()
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def before_call(self, case):
            # Generated bodies seldom pass the domain's rules (a real email, a tariff that
            # exists), so every other account and order gets a valid one and the chain goes on;
            # the others keep what was generated, for the refusals.
            n = next(made[case.method, case.path])
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
            if case.method == "POST":
                case.headers["Idempotency-Key"] = str(uuid.uuid4())
            if n % 2 and (case.method, case.path) == ("POST", "/api/v1/accounts"):
                email = f"chain{n}-{uuid.uuid4().hex[:8]}@example.com"
                case.body = {"email": email, "name": f"Chain {n}", "reason": "Stateful run"}
            if n % 2 and (case.method, case.path) == ("POST", "/api/v1/accounts/{number}/orders"):
                case.body = {
                    "tariff": "start",
                    "service_type": "hosting",
                    "period_months": 1,
                    "identifier": f"chain{n}-{uuid.uuid4().hex[:6]}.ru",
                    "reason": "Stateful run",
                }

        def after_call(self, response, case):
            number = (case.path_parameters or {}).get("number")
            if number in opened:
                followed.append((case.method, case.path, response.status_code))
            if (case.method, case.path, response.status_code) == ("POST", "/api/v1/accounts", 201):
                opened.add(response.json()["number"])

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    # As Django's test client does: the WSGI handler would close the test's connection (and
    # its transaction) at the end of every request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        Calls.run(
            settings=hypothesis_settings(
                max_examples=40,
                stateful_step_count=10,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
        )
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    # The links were followed: accounts the run opened were then read and acted on.
    assert opened, "no account opened"
    assert any(status == 200 for _m, _p, status in followed), followed
    assert len({path for _m, path, _s in followed}) >= 3, followed
