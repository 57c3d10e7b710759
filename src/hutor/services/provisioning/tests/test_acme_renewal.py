"""An ACME certificate through Hutor's own key and CSR, renewed by the daily billing run when
its expiry comes near (issue 14's Must show, with the clock moved): the real pebble and the
real PowerDNS (DNS-01), the order paid, `hutor worker`, `hutor billing run`."""

from __future__ import annotations

import datetime as dt
import functools
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service
from hutor.services.provisioning.tests.test_acme import ssl, verify, zone  # noqa: F401
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db


def billing_run() -> str:
    out = io.StringIO()
    call_command("billing", "run", stdout=out)
    return out.getvalue()


def test_the_billing_run_renews_a_certificate_near_its_expiry(
    ssl,  # noqa: F811
    zone,  # noqa: F811
    pebble,
    account_factory,
    top_up,
    time_machine,
    settings,
):
    _server, _tariff, price = ssl
    account = account_factory()
    service = place_order(billing_account=account, price=price, identifier=zone)
    top_up(account, "990.00")
    run_due_tasks()
    service.refresh_from_db()
    first = dict(service.access)
    assert service.provisioning.get().status == ProvisioningStatus.DONE
    leaf = verify(pebble, first, [zone, f"www.{zone}"])
    # Hutor made the key: the certificate is for it, the key kept encrypted on the service.
    key_pem = service.password.reveal()
    assert "PRIVATE KEY" in key_pem and "PRIVATE KEY" not in str(first)
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    assert leaf.public_key() == key.public_key()

    # The customer downloads it from the panel: the chain, the key, both as PKCS#12; nobody
    # else can, and nothing is cached.
    client = Client()
    client.force_login(account.user)
    page = client.get(reverse("panel:service_detail", args=[service.pk])).content.decode()
    assert 'data-testid="service-certificate"' in page and "Пароль" not in page
    url = functools.partial(reverse, "panel:service_certificate")
    fullchain = client.get(url(args=[service.pk, "fullchain.pem"]))
    assert fullchain["Content-Disposition"] == f'attachment; filename="{zone}.fullchain.pem"'
    assert "no-store" in fullchain["Cache-Control"]
    assert verify(pebble, {**first, "certificate_pem": fullchain.content.decode()}, [zone])
    assert client.get(url(args=[service.pk, "key.pem"])).content.decode() == key_pem
    p12 = pkcs12.load_pkcs12(client.get(url(args=[service.pk, "certificate.p12"])).content, None)
    assert p12.cert.certificate == leaf and p12.key.public_key() == key.public_key()
    assert client.get(url(args=[service.pk, "other.txt"])).status_code == 404
    stranger = Client()
    stranger.force_login(account_factory().user)
    assert stranger.get(url(args=[service.pk, "key.pem"])).status_code == 404

    expires = dt.date.fromisoformat(first["expires_on"])
    # Not yet: far from its expiry, the run queues nothing.
    billing_run()
    assert not service.provisioning.filter(operation="renew").exists()

    days = settings.HUTOR_CERTIFICATE_RENEW_DAYS_BEFORE
    time_machine.move_to(
        dt.datetime.combine(expires - dt.timedelta(days=days - 1), dt.time(9), tzinfo=dt.UTC)
    )
    billing_run()
    renewal = service.provisioning.get(operation="renew")
    assert renewal.status == ProvisioningStatus.PENDING
    assert renewal.params == {"expires_on": first["expires_on"]}
    billing_run()  # a second run the same day: the renewal is queued already
    assert service.provisioning.filter(operation="renew").count() == 1

    run_due_tasks()
    renewal.refresh_from_db()
    assert renewal.status == ProvisioningStatus.DONE, renewal.last_error
    service = Service.objects.get(pk=service.pk)
    assert service.access["serial"] != first["serial"]
    renewed = verify(pebble, service.access, [zone, f"www.{zone}"])
    assert renewed.public_key() == key.public_key()  # the same key, a new certificate
    assert isinstance(renewed, x509.Certificate)
