"""`hutor prune`: old idempotency keys, delivered webhooks, events nothing refers to, and the
panel's form claims go; what is recent, pending, or keyed stays; retentions too short are
refused before anything is deleted."""

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from hutor.api import tokens
from hutor.api.models import IdempotencyRecord
from hutor.backoffice.models import StaffProfile
from hutor.core.events import EventKind, publish
from hutor.core.models import Event
from hutor.panel import submissions
from hutor.panel.models import FormSubmission
from hutor.webhooks.actions import create_endpoint
from hutor.webhooks.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def robot(django_user_model):
    admin = django_user_model.objects.create_user(
        email="admin@staff.example", password="x", is_staff=True
    )
    StaffProfile.objects.create(user=admin, role="admin")
    issued = tokens.create_staff_token(staff=admin, name="crm", role="sales", reason="tests")
    return issued.secret


def _api_post(secret: str, email: str) -> None:
    answer = Client().post(
        "/api/v1/accounts",
        json.dumps({"email": email, "name": "N", "reason": "CRM"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": email},
    )
    assert answer.status_code == 201, answer.content


def _things(robot, account_factory, tag: str, *, delivered: bool) -> dict:
    """One of each prunable row, made as the app makes it."""
    _api_post(robot, f"{tag}@example.com")
    event = publish(EventKind.BALANCE_ADJUSTED, billing_account=None, data={"tag": tag})
    assert event is not None
    delivery = Delivery.objects.get(event=event)
    if delivered:  # as the worker leaves a delivery the receiver took
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = delivery.created_at
        delivery.save(update_fields=["status", "delivered_at"])
    lone = publish(EventKind.SERVICE_SUSPENDED, billing_account=None, data={"lone": tag})
    keyed = publish(EventKind.DOMAIN_EXPIRING, billing_account=None, data={}, key=f"k:{tag}")
    account = account_factory(email=f"owner-{tag}@example.com")
    claim = submissions.submit(
        token=uuid.uuid4(), billing_account=account, action="top_up", perform=lambda: "payment:1"
    )
    return {
        "key": f"{tag}@example.com",
        "event": event.pk,
        "lone": lone.pk if lone else None,
        "keyed": keyed.pk if keyed else None,
        "delivery": delivery.pk,
        "claim": claim.submission.pk,
    }


def test_prune_deletes_what_is_old_and_keeps_the_rest(robot, account_factory):
    create_endpoint(url="https://crm.example.net/hooks", events=[EventKind.BALANCE_ADJUSTED])
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        old = _things(robot, account_factory, "old", delivered=True)
        stuck = _things(robot, account_factory, "stuck", delivered=False)
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        new = _things(robot, account_factory, "new", delivered=True)
    with time_machine.travel(NOW, tick=False):
        call_command("prune", "--batch", "1")
    keys = set(IdempotencyRecord.objects.values_list("key", flat=True))
    assert keys == {new["key"]}  # 7 days
    deliveries = set(Delivery.objects.values_list("pk", flat=True))
    # A delivery not delivered yet stays (and its event with it), whatever its age.
    assert deliveries == {stuck["delivery"], new["delivery"]}
    tracked = {t[k] for t in (old, stuck, new) for k in ("event", "lone", "keyed")}
    events = set(Event.objects.filter(pk__in=tracked).values_list("pk", flat=True))
    assert events == {
        stuck["event"],
        new["event"],
        new["lone"],
        old["keyed"],  # a key is what stops an announcement twice: kept
        stuck["keyed"],
        new["keyed"],
    }
    # The accounts' own events (account.opened) went by the same rule.
    assert not Event.objects.filter(created_at__lt=NOW - dt.timedelta(days=30), key=None).exclude(
        pk=stuck["event"]
    )
    assert set(FormSubmission.objects.values_list("pk", flat=True)) == {new["claim"]}


def test_each_retention_is_a_setting_and_only_picks_one(robot, account_factory, settings):
    create_endpoint(url="https://crm.example.net/hooks", events=[EventKind.BALANCE_ADJUSTED])
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        _things(robot, account_factory, "three", delivered=True)
    settings.HUTOR_API_IDEMPOTENCY_DAYS = 2
    settings.HUTOR_WEBHOOK_RETENTION_DAYS = 2
    with time_machine.travel(NOW, tick=False):
        call_command("prune", "--only", "api.idempotency")
        assert not IdempotencyRecord.objects.exists()
        assert Delivery.objects.count() == 1 and FormSubmission.objects.count() == 1
        call_command("prune", "--only", "webhooks.deliveries")
        assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    "setting",
    [
        "HUTOR_API_IDEMPOTENCY_DAYS",
        "HUTOR_WEBHOOK_RETENTION_DAYS",
        "HUTOR_PANEL_FORM_TOKEN_DAYS",
        "HUTOR_EVENT_RETENTION_DAYS",
    ],
)
def test_a_retention_too_short_is_refused_and_nothing_goes(
    robot, account_factory, settings, setting
):
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        _api_post(robot, "old@example.com")
    setattr(settings, setting, 0)
    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match=setting):
        call_command("prune")
    assert IdempotencyRecord.objects.count() == 1


def test_a_panel_form_token_expires_when_its_claim_may_be_pruned(account_factory):
    account = account_factory()
    with time_machine.travel(NOW - dt.timedelta(days=8), tick=False):
        token = submissions.issue(account, "top_up")
    request = RequestFactory().post("/", {submissions.FIELD: token})
    with time_machine.travel(NOW, tick=False), pytest.raises(submissions.FormTokenError):
        submissions.read(request, account, "top_up")
    with time_machine.travel(NOW - dt.timedelta(days=6), tick=False):
        fresh = submissions.issue(account, "top_up")
    request = RequestFactory().post("/", {submissions.FIELD: fresh})
    with time_machine.travel(NOW, tick=False):
        assert submissions.read(request, account, "top_up")
