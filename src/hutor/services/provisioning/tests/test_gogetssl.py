"""The GoGetSSL module against a local reseller API that answers as its documentation shows
(gogetssl_fake.py: every handler cites its wiki page, every request is checked against the
documented parameters). SSL services are ordered, paid and created by the worker's task
runner from real rows; the CSR comes through a context provider, as Hutor's own key and CSR
will (ctx.csr_pem)."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hutor.catalog.models import IdentifierKind, ServiceType, Tariff, TariffPrice
from hutor.ledger.queries import balance
from hutor.servers import actions as servers
from hutor.services import placement
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, ServiceStatus
from hutor.services.provisioning import (
    CONTEXT_PROVIDERS,
    MODULES,
    ProvisioningContext,
    ProvisioningError,
    RemoteState,
    ServerAccess,
    check_server,
    context_for,
    get_module,
    provide_context,
)
from hutor.services.provisioning.ca import CertificateState
from hutor.services.provisioning.gogetssl import GoGetSSLModule, GoGetSSLRefused
from hutor.services.provisioning.tests.gogetssl_fake import FakeGoGetSSL, Serving
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db

USER = "reseller@hosting.example"
PASSWORD = "Xq7!api-password-0f3c9e"  # the API password made in GoGetSSL's client area
CONTACT = {
    "firstname": "Ivan",
    "lastname": "Petrov",
    "phone": "+74950000000",
    "title": "Mr",
    "email": "ssl@hosting.example",
}


def make_csr(name: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, csr.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def gogetssl(tmp_path):
    fake = FakeGoGetSSL(user=USER, password=PASSWORD, balance="100.00")
    serving = Serving(fake, tmp_path)
    yield serving
    serving.stop()
    assert fake.violations == [], "requests outside the documented API"


@pytest.fixture
def csrs():
    """The CSR of each service (by its pk), given to calls by a context provider."""
    keys: dict[int, tuple[object, str]] = {}

    def provider(service):
        return {"csr_pem": keys[service.pk][1]} if service.pk in keys else {}

    provide_context(provider)
    yield keys
    CONTEXT_PROVIDERS.remove(provider)


@pytest.fixture
def ssl_tariff(catalog, gogetssl):
    """An "ssl" service type with a DV tariff sold by the year, on a GoGetSSL server."""
    stype = ServiceType.objects.create(
        code="ssl", name_ru="SSL", name_en="SSL", identifier_kind=IdentifierKind.DOMAIN
    )
    group = servers.add_group(code="gogetssl", name="GoGetSSL")
    server = servers.add_server(
        name="ggssl",
        group=group,
        module="gogetssl",
        host="127.0.0.1",
        port=gogetssl.port,
        username=USER,
        password=PASSWORD,
        settings={"ca_file": str(gogetssl.cert), "contact": CONTACT},
    )
    tariff = Tariff.objects.create(
        service_type=stype,
        code="dv",
        name_ru="DV",
        name_en="DV",
        server_group=group,
        module_params={"product_id": "45", "period": 12, "dcv_method": "dns"},
    )
    TariffPrice.objects.create(tariff=tariff, period_months=12, price="990.00")
    tariff.server = server
    return tariff


@pytest.fixture
def ordered(ssl_tariff, account_factory, top_up, csrs):
    """A paid SSL order with its CSR; its create task queued, not yet run."""

    def make(domain="shop-example.ru", csr_pem=None):
        customer = account_factory()
        service = place_order(
            billing_account=customer,
            price=ssl_tariff.prices.get(period_months=12),
            identifier=domain,
        )
        assert service.provisioning_module == "gogetssl"
        key, pem = make_csr(domain)
        csrs[service.pk] = (key, csr_pem if csr_pem is not None else pem)
        top_up(customer, "990.00")
        return service, customer

    return make


def issued_by_fake(pem: str, fake: FakeGoGetSSL, key) -> x509.Certificate:
    cert = x509.load_pem_x509_certificate(pem.encode())
    cert.verify_directly_issued_by(fake.ca.cert)  # raises unless the test CA signed it
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    return cert


def test_registered_as_a_ca_module():
    assert MODULES["gogetssl"] is GoGetSSLModule
    assert GoGetSSLModule.supports("reissue") and not GoGetSSLModule.supports("suspend")


def test_order_validate_issue_reissue_revoke(ordered, gogetssl, csrs, caplog):
    caplog.set_level(logging.DEBUG)
    fake = gogetssl.fake
    service, customer = ordered()

    report = run_due_tasks()
    service.refresh_from_db()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.DONE, task.last_error
    assert report.done == 1
    (order,) = fake.orders.values()
    assert service.remote_id == str(order.order_id)
    assert (order.domain, order.product_id, order.period) == ("shop-example.ru", "45", 12)
    placed = next(p for m, p in fake.calls if m == "orders/add_ssl_order")
    assert placed["csr"] == csrs[service.pk][1] and placed["dcv_method"] == "dns"
    assert placed["admin_email"] == placed["tech_email"] == "ssl@hosting.example"
    assert fake.balance == Decimal("93.00")  # the reseller paid GoGetSSL for it

    # The CA waits for the customer: the CNAME record to publish is in the access details.
    assert service.access["state"] == CertificateState.VALIDATING
    (step,) = service.access["validation"]
    assert step["method"] == "cname" and step["name"] == "shop-example.ru"
    assert step["record_name"].startswith("_") and step["record_name"].endswith(".shop-example.ru")
    assert step["value"].endswith(".comodoca.com") and not step["done"]
    module = get_module("gogetssl")
    assert module.status(context_for(service)).state == CertificateState.VALIDATING
    assert module.sync(context_for(service)).access["validation"] == [step]
    # A create run again (its answer lost) finds the order: nothing is paid twice.
    again = module.create(context_for(service))
    assert again.remote_id == service.remote_id and len(fake.orders) == 1

    # The customer published the record; the CA issued. sync downloads it.
    fake.complete_dcv(order.order_id)
    synced = module.sync(context_for(service))
    assert synced.state == RemoteState.ACTIVE
    placement.record_result(service=service, access=synced.access)
    service.refresh_from_db()
    key = csrs[service.pk][0]
    cert = issued_by_fake(service.access["certificate_pem"], fake, key)
    assert service.access["state"] == CertificateState.ISSUED
    assert service.access["serial"] == format(cert.serial_number, "x")
    assert service.access["chain_pem"] == fake.ca.pem
    assert service.access["expires_on"] == cert.not_valid_after_utc.date().isoformat()
    downloaded = module.download(context_for(service))
    assert downloaded.fullchain_pem.count("BEGIN CERTIFICATE") == 2

    # Reissue with a new key: validated again, then a new certificate for the new key.
    new_key, new_csr = make_csr("shop-example.ru")
    csrs[service.pk] = (new_key, new_csr)
    reissued = module.reissue(context_for(service))
    assert reissued.access["state"] == CertificateState.VALIDATING
    assert reissued.access["validation"][0]["method"] == "cname"
    assert fake.orders[order.order_id].status == "reissue"
    fake.complete_dcv(order.order_id)
    second = module.download(context_for(service))
    issued_by_fake(second.certificate_pem, fake, new_key)
    assert second.serial != service.access["serial"]

    # Revoke: a cancellation request GoGetSSL reviews; once done, sync says so.
    revoked = module.revoke(context_for(service), reason="key compromise")
    assert revoked.done and fake.orders[order.order_id].cancel_asked
    cancel = next(p for m, p in fake.calls if m == "orders/cancel_ssl_order")
    assert cancel == {"order_id": str(order.order_id), "reason": "key compromise"}
    fake.review_cancellations()
    assert module.status(context_for(service)).state == CertificateState.REVOKED
    assert module.sync(context_for(service)).state == RemoteState.MISSING
    assert "is cancelled" in module.revoke(context_for(service)).note  # again: success

    check = module.check(ServerAccess.of(ssl_server(service)))
    assert check == "GoGetSSL API: balance 93.00 USD"
    # Billing untouched by all of it; no credential or session key in any log record.
    assert service.status == ServiceStatus.ACTIVE and balance(customer).amount == Decimal("0")
    for secret in (PASSWORD, *fake.keys):
        assert secret not in caplog.text
    assert "auth_key=" in caplog.text  # urllib3 logged the requests, the key masked


def ssl_server(service):
    service.refresh_from_db()
    return service.server


def test_email_validation_and_the_approver_the_ca_offers(ordered, gogetssl, ssl_tariff):
    Tariff.objects.filter(pk=ssl_tariff.pk).update(
        module_params={"product_id": "45", "period": 12, "dcv_method": "email"}
    )
    service, _customer = ordered(domain="www.shop-example.ru")
    run_due_tasks()
    service.refresh_from_db()
    assert service.provisioning.get().status == ProvisioningStatus.DONE
    (step,) = service.access["validation"]
    assert step == {
        "name": "www.shop-example.ru",
        "method": "email",
        "approver": "admin@www.shop-example.ru",
        "done": False,
    }
    placed = next(p for m, p in gogetssl.fake.calls if m == "orders/add_ssl_order")
    assert placed["approver_email"] == "admin@www.shop-example.ru"
    steps = get_module("gogetssl").validation(context_for(service))
    assert [(s.method, s.approver) for s in steps] == [("email", "admin@www.shop-example.ru")]


def test_http_validation_and_a_multi_domain_order(ordered, gogetssl, ssl_tariff):
    Tariff.objects.filter(pk=ssl_tariff.pk).update(
        module_params={
            "product_id": "99",
            "period": 12,
            "dcv_method": "http",
            "alt_names": ["www.shop-example.ru"],
        }
    )
    service, _customer = ordered()
    run_due_tasks()
    service.refresh_from_db()
    first, san = service.access["validation"]
    assert first["method"] == san["method"] == "http"
    assert first["path"].startswith("/.well-known/pki-validation/")
    assert first["path"].endswith(".txt") and first["value"].endswith("comodoca.com")
    assert san["name"] == "www.shop-example.ru"
    placed = next(p for m, p in gogetssl.fake.calls if m == "orders/add_ssl_order")
    assert placed["dns_names"] == "www.shop-example.ru" and placed["approver_emails"] == "http"


def test_an_invalid_csr_fails_the_task_with_the_cas_words(ordered, gogetssl):
    bad = "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n-----END CERTIFICATE REQUEST-----\n"
    service, customer = ordered(csr_pem=bad)
    run_due_tasks()
    service.refresh_from_db()
    task = service.provisioning.get()
    assert (task.status, task.attempts) == (ProvisioningStatus.FAILED, 1)
    assert "Invalid CSR code" in task.last_error
    assert service.status == ServiceStatus.ACTIVE and not service.remote_id
    assert balance(customer).amount == Decimal("0.00")  # paid, as ordered; nothing refunded
    assert gogetssl.fake.orders == {}


def test_no_reseller_balance_is_said_plainly_for_staff(ordered, gogetssl):
    gogetssl.fake.balance = Decimal("5.00")
    service, customer = ordered()
    run_due_tasks()
    service.refresh_from_db()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.FAILED
    assert "reseller balance does not cover this order" in task.last_error
    assert "Insufficient funds on your balance" in task.last_error  # the CA's own words
    assert service.status == ServiceStatus.ACTIVE and balance(customer).amount == Decimal("0")


def test_a_wrong_password_is_retried_and_never_shown(ordered, gogetssl, ssl_tariff):
    servers.update_server(server=ssl_tariff.server, values={}, password="wrong-password-123")
    service, _customer = ordered()
    placement.place(service=service)
    service.refresh_from_db()
    with pytest.raises(ProvisioningError) as caught:
        get_module("gogetssl").create(context_for(service))
    assert not isinstance(caught.value, GoGetSSLRefused)
    assert "refused the API credential" in str(caught.value)
    assert "wrong-password-123" not in str(caught.value) and PASSWORD not in str(caught.value)


def test_a_stale_session_key_is_refused_without_showing_it(ssl_tariff, gogetssl):
    from hutor.services.provisioning.gogetssl import GoGetSSLClient

    client = GoGetSSLClient(ServerAccess.of(ssl_tariff.server))
    client._key = "0123456789abcdef0123456789abcdef"  # a key GoGetSSL no longer knows
    with pytest.raises(ProvisioningError) as caught:
        client.call("/account/balance/")
    assert "Auth key is not valid" in str(caught.value)
    assert "0123456789abcdef" not in str(caught.value)


def test_a_server_down_or_failing_is_an_error_to_retry(ordered, gogetssl, ssl_tariff):
    service, _customer = ordered()
    placement.place(service=service)
    service.refresh_from_db()
    gogetssl.fake.http_status = 503
    with pytest.raises(ProvisioningError) as caught:
        get_module("gogetssl").create(context_for(service))
    assert not isinstance(caught.value, GoGetSSLRefused) and "HTTP 503" in str(caught.value)
    gogetssl.fake.http_status = None
    servers.update_server(server=ssl_tariff.server, values={"settings": {"contact": CONTACT}})
    service.refresh_from_db()
    with pytest.raises(ProvisioningError, match="CERTIFICATE_VERIFY_FAILED"):
        get_module("gogetssl").create(context_for(service))


def test_a_renewal_is_a_new_order_for_a_new_csr(ordered, gogetssl, csrs):
    fake = gogetssl.fake
    service, _customer = ordered()
    run_due_tasks()
    service.refresh_from_db()
    first = int(service.remote_id)
    fake.complete_dcv(first)
    key, csr = make_csr("shop-example.ru")
    csrs[service.pk] = (key, csr)
    ctx = context_for(service)
    renewed = get_module("gogetssl").renew(
        ProvisioningContext(
            service=service, params=ctx.params, server=ctx.server, csr_pem=ctx.csr_pem
        )
    )
    assert int(renewed.remote_id) != first and fake.orders[int(renewed.remote_id)].renewal
    assert renewed.access["state"] == CertificateState.VALIDATING
    assert [m for m, _p in fake.calls].count("orders/add_ssl_renew_order") == 1
    placement.record_result(service=service, remote_id=renewed.remote_id, access=renewed.access)
    fake.complete_dcv(int(renewed.remote_id))
    issued_by_fake(get_module("gogetssl").download(context_for(service)).certificate_pem, fake, key)


def test_the_server_check_logs_in_and_reads_the_balance(ssl_tariff, gogetssl):
    assert check_server(ssl_tariff.server) == (True, "GoGetSSL API: balance 100.00 USD")
    servers.update_server(server=ssl_tariff.server, values={}, password="not-the-password")
    ssl_tariff.server.refresh_from_db()
    ok, text = check_server(ssl_tariff.server)
    assert ok is False and "refused the API credential" in text
    assert "not-the-password" not in text


def test_a_tariff_without_a_product_is_refused(ordered, gogetssl, ssl_tariff):
    Tariff.objects.filter(pk=ssl_tariff.pk).update(module_params={"dcv_method": "dns"})
    service, _customer = ordered()
    run_due_tasks()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.FAILED and '"product_id"' in task.last_error
