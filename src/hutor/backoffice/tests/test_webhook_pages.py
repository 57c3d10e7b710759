"""The desk's webhook pages (administrators): add an endpoint and see its secret once, show or
replace the secret (audited, never in the audit itself), switch an endpoint off, read the
delivery log and send a failed delivery again to a real receiver."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.events import EventKind
from hutor.webhooks.delivery import RETRY_DELAYS, deliver_due
from hutor.webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


@pytest.fixture
def admin_desk(staff_factory):
    return desk_session(Client(), staff_factory(Role.ADMIN))


def add(desk: Client, url: str, events=(EventKind.ACCOUNT_OPENED, EventKind.INVOICE_PAID), **more):
    data = {"url": url, "events": list(events), "enabled": "on", "reason": "CRM integration"}
    data.update(more)
    return desk.post(reverse("desk:webhook_add"), data)


def test_an_added_endpoint_shows_its_secret_once_stored_encrypted(admin_desk, receiver):
    response = add(admin_desk, receiver.url, description="CRM")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    [secret] = SECRET.findall(response.content.decode())
    endpoint = Endpoint.objects.get()
    assert endpoint.secret.reveal() == secret
    assert endpoint.events == [EventKind.ACCOUNT_OPENED, EventKind.INVOICE_PAID]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_endpoint")
        assert secret not in cursor.fetchone()[0]  # encrypted at rest (core.secrets)
    entry = AuditEntry.objects.get(action="webhook.save")
    assert entry.reason == "CRM integration" and entry.changes["secret"] == "set"
    assert secret not in str(entry.changes)
    listing = admin_desk.get(reverse("desk:webhooks")).content.decode()
    assert receiver.url in listing and secret not in listing
    assert reverse("desk:webhooks") in admin_desk.get(reverse("desk:catalog")).content.decode()


def test_the_secret_is_shown_or_replaced_on_request_with_a_reason(admin_desk, receiver):
    add(admin_desk, receiver.url)
    endpoint = Endpoint.objects.get()
    first = endpoint.secret.reveal()
    url = reverse("desk:webhook_secret", args=[endpoint.pk])
    assert first not in admin_desk.get(url).content.decode()
    refused = admin_desk.post(url, {"reason": ""}).content.decode()
    assert first not in refused
    shown = admin_desk.post(url, {"reason": "Setting up the CRM"}).content.decode()
    assert SECRET.findall(shown) == [first]
    replaced = admin_desk.post(url, {"reason": "Leaked", "replace": "on"}).content.decode()
    [second] = SECRET.findall(replaced)
    assert second != first and Endpoint.objects.get().secret.reveal() == second
    codes = [e.changes["secret"] for e in AuditEntry.objects.filter(action="webhook.secret")]
    assert codes == ["shown", "replaced"] or codes == ["replaced", "shown"]
    assert not AuditEntry.objects.filter(changes__icontains="whsec_").exists()


def test_a_switched_off_endpoint_gets_no_new_events(admin_desk, receiver, account_factory):
    add(admin_desk, receiver.url)
    endpoint = Endpoint.objects.get()
    response = admin_desk.post(
        reverse("desk:webhook_edit", args=[endpoint.pk]),
        {"url": receiver.url, "events": [EventKind.ACCOUNT_OPENED], "reason": "CRM moved"},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.events == [EventKind.ACCOUNT_OPENED]
    entry = AuditEntry.objects.filter(action="webhook.save").latest("pk")
    assert entry.changes["sending"] == {"from": True, "to": False}
    account_factory()
    assert Delivery.objects.count() == 0


def test_private_addresses_are_refused_when_not_allowed(admin_desk, settings):
    settings.HUTOR_WEBHOOKS_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://10.0.0.5/x"):
        response = add(admin_desk, url)
        assert response.status_code == 200 and b"whsec_" not in response.content
    assert not Endpoint.objects.exists()


def test_a_failed_delivery_is_in_the_log_and_sent_again(admin_desk, receiver, account_factory):
    response = add(admin_desk, receiver.url)
    [receiver.secret] = SECRET.findall(response.content.decode())
    receiver.status = 500
    start = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        account = account_factory()
        deliver_due()
        for delay in RETRY_DELAYS:
            clock.shift(delay)
            deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.response_status == 500
    # A day later the administrator looks (a new desk session: the old one timed out).
    log = admin_desk.get(reverse("desk:webhooks") + "?show=failed").content.decode()
    assert account.number in log and "account.opened" in log
    page = admin_desk.get(reverse("desk:webhook_delivery", args=[delivery.pk]))
    text = page.content.decode()
    assert delivery.event.webhook_id in text and account.number in text and "500" in text
    receiver.status = 200
    sent = admin_desk.post(reverse("desk:webhook_resend", args=[delivery.pk]), {"reason": "Fixed"})
    assert sent.status_code == 302
    assert deliver_due().delivered == 1
    assert receiver.ids() == [delivery.event.webhook_id]
    entry = AuditEntry.objects.get(action="webhook.resend")
    assert entry.changes["webhook_id"] == delivery.event.webhook_id


def test_the_pages_speak_russian_and_english(admin_desk, receiver):
    add(admin_desk, receiver.url)
    ru = admin_desk.get(reverse("desk:webhooks"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Вебхуки" in ru and "Журнал доставки" in ru
    en = admin_desk.get(reverse("desk:webhooks"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Webhooks" in en and "Delivery log" in en
    audit = admin_desk.get(reverse("desk:audit"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Точка приёма вебхуков добавлена или изменена" in audit
