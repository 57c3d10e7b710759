"""A commercial certificate waiting for the customer's validation (issue 14): the service page
shows what to publish for each name and a "Check now" button; once the CA has issued, the daily
billing run downloads it and the page offers it. Hutor's own key and CSR, GoGetSSL's documented
API answered by the local fake (gogetssl_fake.py)."""

from __future__ import annotations

import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hutor.billing.models import BillingRun
from hutor.services.actions import place_order
from hutor.services.provisioning.ca import CertificateState
from hutor.services.provisioning.tests.test_gogetssl import gogetssl, ssl_tariff  # noqa: F401
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db


def test_the_customer_sees_what_to_publish_and_gets_the_certificate_once_issued(
    ssl_tariff,  # noqa: F811
    gogetssl,  # noqa: F811
    account_factory,
    top_up,
):
    account = account_factory()
    service = place_order(
        billing_account=account,
        price=ssl_tariff.prices.get(period_months=12),
        identifier="shop-example.ru",
    )
    top_up(account, "990.00")
    run_due_tasks()
    service.refresh_from_db()
    assert service.access["state"] == CertificateState.VALIDATING
    client = Client()
    client.force_login(account.user)
    page_url = reverse("panel:service_detail", args=[service.pk])
    page = client.get(page_url).content.decode()
    assert 'data-testid="certificate-validation"' in page
    (step,) = service.access["validation"]
    assert step["record_name"] in page and step["value"] in page and "CNAME" in page
    assert 'data-testid="service-certificate"' not in page

    check = reverse("panel:service_certificate_check", args=[service.pk])
    waiting = client.post(check, follow=True, headers={"accept-language": "en"})
    assert "still waiting for validation" in waiting.content.decode()

    (order,) = gogetssl.fake.orders.values()
    gogetssl.fake.complete_dcv(order.order_id)  # the customer published the record
    call_command("billing", "run", stdout=io.StringIO())
    assert BillingRun.objects.latest("pk").counts["certificates"] == {"issued": 1}
    service.refresh_from_db()
    assert service.access["state"] == CertificateState.ISSUED
    page = client.get(page_url).content.decode()
    assert 'data-testid="service-certificate"' in page
    assert 'data-testid="certificate-validation"' not in page
    # The certificate is for the key Hutor made and keeps.
    pem = client.get(reverse("panel:service_certificate", args=[service.pk, "fullchain.pem"]))
    leaf = x509.load_pem_x509_certificates(pem.content)[0]
    key = client.get(reverse("panel:service_certificate", args=[service.pk, "key.pem"])).content
    assert serialization.load_pem_private_key(key, None).public_key() == leaf.public_key()


def test_a_customers_own_csr_is_ordered_as_given_and_no_key_is_made(
    ssl_tariff,  # noqa: F811
    gogetssl,  # noqa: F811
    account_factory,
    top_up,
):
    from hutor.services.models import Service
    from hutor.services.provisioning.csr import make_csr, make_private_key

    account = account_factory()
    client = Client(headers={"accept-language": "en"})
    client.force_login(account.user)
    url = "/order/ssl/dv/"
    form = client.get(url).content.decode()
    assert 'data-testid="order-csr"' in form
    token = form.split('name="order_token" value="')[1].split('"')[0]
    data = {
        "order_token": token,
        "price": str(ssl_tariff.prices.get(period_months=12).pk),
        "identifier": "shop-example.ru",
        "accept_offer": "on",
    }
    for csr, said in (
        ("not a csr", "not a certificate signing request"),
        (make_csr(make_private_key(), ["other.example"]), "not for shop-example.ru"),
    ):
        refused = client.post(url, data | {"csr": csr})
        assert refused.status_code == 200 and said in refused.content.decode()
    assert not Service.objects.exists()

    own = make_csr(make_private_key(), ["shop-example.ru", "www.shop-example.ru"])
    assert client.post(url, data | {"csr": own}).status_code == 302
    service = Service.objects.get()
    assert service.access == {"csr_pem": own.strip()}
    top_up(account, "990.00")
    run_due_tasks()
    placed = next(p for m, p in gogetssl.fake.calls if m == "orders/add_ssl_order")
    assert placed["csr"].strip() == own.strip()
    service.refresh_from_db()
    assert not service.password  # the key stayed with the customer
