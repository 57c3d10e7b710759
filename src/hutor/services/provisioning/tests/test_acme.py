"""The "acme" module against the real pebble (Debian's, testing_pebble.py) resolving through the
real PowerDNS (testing_pdns.py): certificates ordered, paid, placed and created by the worker,
proved by DNS-01 records Hutor published on PowerDNS (or an HTTP-01 file in a webroot served
here), verified against pebble's own root, renewed, revoked, and refused in the CA's words.

The CSR is built here with `cryptography` and handed to the module through a context provider
(services.provisioning.provide_context), the way the services app gives `ctx.csr_pem`.
"""

from __future__ import annotations

import functools
import http.server
import secrets
import threading
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store
from django.db import transaction
from django.utils.translation import gettext as _

from hutor.catalog.models import BillingUnit, IdentifierKind, ServiceType, Tariff, TariffPrice
from hutor.core.secrets import Secret
from hutor.servers import actions as servers
from hutor.services import lifecycle
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus
from hutor.services.provisioning import (
    CONTEXT_PROVIDERS,
    ServerAccess,
    check_server,
    context_for,
    get_module,
)
from hutor.services.provisioning.acme_ca.session import AcmeRefused
from hutor.services.provisioning.ca import CertificateState
from hutor.services.provisioning.zone_template import canonical_zone
from hutor.services.tasks import run_due_tasks
from hutor.testing_pdns import free_port
from hutor.testing_pebble import BLOCKED


def pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def make_csr(names: list[str]) -> str:
    """A CSR of a new key for `names` (the first also the common name)."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def csrs():
    """The CSR each service's calls get (service pk -> PEM), through a context provider."""
    given: dict[int, str] = {}

    def provider(service):
        return {"csr_pem": given[service.pk]} if service.pk in given else {}

    CONTEXT_PROVIDERS.append(provider)
    yield given
    CONTEXT_PROVIDERS.remove(provider)


@pytest.fixture
def zone(pdns):
    """A zone of its own on PowerDNS, as a DNS hosting service of the provider would hold it."""
    name = f"acme-{secrets.token_hex(4)}.example"
    template = [{"name": "@", "type": "A", "content": "127.0.0.1", "ttl": 60}]
    template.append({"name": "www", "type": "A", "content": "127.0.0.1", "ttl": 60})
    pdns.client().create_zone(name, ["ns1.example.net"], template, account="tests")
    yield name
    pdns.client().delete_zone(name)


@pytest.fixture
def ssl(db, pdns, pebble, catalog):
    """An "ssl" service type with a DV tariff ("www.{domain}" too, revoked on termination),
    its group's ACME server (pebble, DNS-01 through the PowerDNS server "ns-api")."""
    dns_group = servers.add_group(code="dns", name="DNS")
    servers.add_server(
        name="ns-api",
        group=dns_group,
        module="powerdns",
        host="127.0.0.1",
        port=urlsplit(pdns.api_url).port,
        use_tls=False,
        password=pdns.api_key,
        settings={"nameservers": ["ns1.example.net"]},
    )
    group = servers.add_group(code="ssl", name="SSL")
    server = servers.add_server(
        name="pebble",
        group=group,
        module="acme",
        host="127.0.0.1",
        port=pebble.port,
        use_tls=True,
        password=pem_key(ec.generate_private_key(ec.SECP256R1())),
        settings={
            "directory_path": "/dir",
            "ca_file": str(pebble.ca_file),
            "dns_server": "ns-api",
            "email": "ssl@test-hosting.ru",
            "timeout": 30,
        },
    )
    stype = ServiceType.objects.create(
        code="ssl",
        name_ru="SSL-сертификаты",
        name_en="SSL certificates",
        identifier_kind=IdentifierKind.DOMAIN,
        billing_unit=BillingUnit.YEAR,
    )
    tariff = Tariff.objects.create(
        service_type=stype,
        code="dv",
        name_ru="DV",
        name_en="DV",
        server_group=group,
        module_params={"alt_names": ["www.{domain}"], "revoke_on_terminate": True},
    )
    price = TariffPrice.objects.create(tariff=tariff, period_months=12, price="990.00")
    return server, tariff, price


@pytest.fixture
def order(ssl, csrs, account_factory, top_up):
    """Order a certificate for `domain`, pay it and run the worker; the service, reloaded."""
    _server, _tariff, price = ssl

    def make(domain: str, names: list[str] | None = None):
        account = account_factory()
        service = place_order(billing_account=account, price=price, identifier=domain)
        assert service.provisioning_module == "acme"
        csrs[service.pk] = make_csr(names or [domain, f"www.{domain}"])
        top_up(account, "990.00")
        run_due_tasks()
        service.refresh_from_db()
        return service

    return make


def verify(pebble, access, names):
    """The certificate chains to pebble's root through the chain given, for every name."""
    leaf = x509.load_pem_x509_certificate(access["certificate_pem"].encode())
    chain = x509.load_pem_x509_certificates(access["chain_pem"].encode())
    root = x509.load_pem_x509_certificate(pebble.root_pem().encode())
    assert chain[-1].issuer == root.subject
    for name in names:
        verifier = PolicyBuilder().store(Store([root])).build_server_verifier(x509.DNSName(name))
        path = verifier.verify(leaf, chain)
        assert path[-1] == root
    assert format(leaf.serial_number, "x") == access["serial"]
    return leaf


def txt_records(pdns, zone):
    found = pdns.client().get_zone(zone)
    return [r for r in found.rrsets if r.type == "TXT"]


def test_issued_by_dns01_on_powerdns_renewed_and_revoked(order, pebble, pdns, zone):
    service = order(zone)
    task = service.provisioning.get(operation="create")
    assert (task.status, task.last_error) == (ProvisioningStatus.DONE, "")
    assert "dns-01" in task.note
    access = service.access
    assert access["state"] == CertificateState.ISSUED
    assert access["names"] == [zone, f"www.{zone}"]
    leaf = verify(pebble, access, [zone, f"www.{zone}"])
    assert access["expires_on"] == leaf.not_valid_after_utc.date().isoformat()
    assert service.remote_id.startswith(f"https://127.0.0.1:{pebble.port}/")
    assert txt_records(pdns, zone) == []  # the challenge records were removed

    module = get_module("acme")
    status = module.status(context_for(service))
    assert status.state == CertificateState.ISSUED
    assert status.certificate.certificate_pem == access["certificate_pem"]
    assert module.download(context_for(service)).serial == access["serial"]

    with transaction.atomic():
        lifecycle.provision(service=service, operation="renew")
    run_due_tasks()
    service.refresh_from_db()
    renewal = service.provisioning.get(operation="renew")
    assert renewal.status == ProvisioningStatus.DONE, renewal.last_error
    assert service.access["serial"] != access["serial"]
    verify(pebble, service.access, [zone, f"www.{zone}"])
    assert pebble.certificate_status(access["serial"])["Status"] == "Valid"
    assert txt_records(pdns, zone) == []

    with transaction.atomic():
        lifecycle.move(lifecycle.lock(service), "terminate", actor="staff")
    run_due_tasks()
    service.refresh_from_db()
    ending = service.provisioning.get(operation="terminate")
    assert (ending.status, ending.note) == (ProvisioningStatus.DONE, "revoked")
    assert service.access["state"] == CertificateState.REVOKED
    assert pebble.certificate_status(service.access["serial"])["Status"] == "Revoked"
    assert module.status(context_for(service)).state == CertificateState.REVOKED
    # Revoking again is success (the CA's alreadyRevoked).
    assert module.revoke(context_for(service)).note == "already revoked"


def test_an_idn_name_with_its_wildcard_shares_one_txt_record(ssl, order, pebble, pdns):
    """«*.{domain}» of an IDN domain: both names are proved by DNS-01 on the same
    `_acme-challenge` name (two TXT values in one RRset), in punycode."""
    _server, tariff, _price = ssl
    tariff.module_params = {"alt_names": ["*.{domain}"]}
    tariff.save(update_fields=["module_params"])
    label = f"тест-{secrets.token_hex(3)}"
    ascii_zone = canonical_zone(f"{label}.example").rstrip(".")
    pdns.client().create_zone(ascii_zone, ["ns1.example.net"], [], account="tests")
    try:
        service = order(f"{label}.example", [ascii_zone, f"*.{ascii_zone}"])
        task = service.provisioning.get(operation="create")
        assert task.status == ProvisioningStatus.DONE, task.last_error
        assert service.access["names"] == [ascii_zone, f"*.{ascii_zone}"]
        verify(pebble, service.access, [ascii_zone, f"www.{ascii_zone}"])
        assert txt_records(pdns, ascii_zone) == []
    finally:
        pdns.client().delete_zone(ascii_zone)


def test_a_name_the_ca_refuses_fails_the_task_with_its_words(order):
    service = order(BLOCKED, [BLOCKED, f"www.{BLOCKED}"])
    task = service.provisioning.get(operation="create")
    assert task.status == ProvisioningStatus.FAILED
    assert task.attempts == 1  # refused: no retry
    assert "rejectedIdentifier" in task.last_error
    assert BLOCKED in task.last_error
    assert "certificate_pem" not in (service.access or {})


def test_a_failing_challenge_fails_the_task_with_the_cas_words(ssl, order, tmp_path):
    """HTTP-01 for a name no DNS knows: pebble cannot look it up, and says so."""
    server, _tariff, _price = ssl
    server.settings = {**server.settings, "dns_server": "", "webroot": str(tmp_path)}
    server.save(update_fields=["settings"])
    missing = f"missing-{secrets.token_hex(4)}.example"
    service = order(missing)
    task = service.provisioning.get(operation="create")
    assert task.status == ProvisioningStatus.FAILED
    assert task.last_error.startswith(
        _("The certificate authority «%(server)s» could not validate the names: %(detail)s")
        % {"server": "pebble", "detail": ""}
    )
    assert missing in task.last_error
    assert "(connection)" in task.last_error  # pebble's problem type, ...:acme:error:connection
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # the challenge files removed


def test_issued_by_http01_from_the_webroot(ssl, order, pebble, zone, tmp_path):
    """No dns_server: the key authorization is written into the webroot, which a web server
    serves on the port pebble asks (the zone's names point at 127.0.0.1 on PowerDNS)."""
    server, _tariff, _price = ssl
    server.settings = {**server.settings, "dns_server": "", "webroot": str(tmp_path)}
    server.save(update_fields=["settings"])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    web = http.server.ThreadingHTTPServer(("127.0.0.1", pebble.http_port), handler)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        service = order(zone)
    finally:
        web.shutdown()
        web.server_close()
    task = service.provisioning.get(operation="create")
    assert task.status == ProvisioningStatus.DONE, task.last_error
    assert "http-01" in task.note
    verify(pebble, service.access, [zone, f"www.{zone}"])
    assert list((tmp_path / ".well-known" / "acme-challenge").iterdir()) == []


def test_a_slow_ca_is_retried_and_an_unreachable_one_too(ssl, order, zone, pdns):
    server, _tariff, _price = ssl
    server.settings = {**server.settings, "timeout": 0.001}
    server.save(update_fields=["settings"])
    service = order(zone)
    task = service.provisioning.get(operation="create")
    assert (task.status, task.attempts) == (ProvisioningStatus.PENDING, 1)
    assert task.last_error.endswith(
        _("The certificate authority «%(server)s» did not finish in time; retried later.")
        % {"server": "pebble"}
    )
    assert txt_records(pdns, zone) == []  # removed even so

    server.port = free_port()  # nothing listens there
    server.save(update_fields=["port"])
    task.next_attempt_at = task.created_at
    task.save(update_fields=["next_attempt_at"])
    run_due_tasks()
    task.refresh_from_db()
    assert (task.status, task.attempts) == (ProvisioningStatus.PENDING, 2)
    assert (
        _("The certificate authority «%(server)s» did not answer properly: %(detail)s")
        % {"server": "pebble", "detail": "ConnectionError"}
        in task.last_error
    )
    assert "BEGIN" not in task.last_error  # never the account key


def test_a_name_hutor_cannot_prove_is_refused_with_the_reason(order):
    """Its zone is not on the PowerDNS server and no webroot is set: nothing to publish."""
    elsewhere = f"elsewhere-{secrets.token_hex(4)}.example"
    service = order(elsewhere)
    task = service.provisioning.get(operation="create")
    assert task.status == ProvisioningStatus.FAILED
    assert task.attempts == 1
    assert elsewhere in task.last_error
    assert _("no «webroot» is set for HTTP-01") in task.last_error


def test_a_csr_for_other_names_is_refused_before_the_ca_is_asked(order, zone):
    service = order(zone, [zone])  # the tariff wants www. too
    task = service.provisioning.get(operation="create")
    assert task.status == ProvisioningStatus.FAILED
    assert f"www.{zone}" in task.last_error


def test_check_registers_the_account_once(ssl, pebble):
    server, _tariff, _price = ssl
    ok, first = check_server(server)
    assert ok, first
    assert f"https://127.0.0.1:{pebble.port}/dir" in first
    assert check_server(server) == (True, first)  # the same account, found by its key


def test_a_bad_account_key_is_refused_without_showing_it(ssl):
    server, _tariff, _price = ssl
    server.password = Secret.of("not a key at all")
    server.save(update_fields=["password"])
    ok, text = check_server(server)
    assert ok is False
    assert "not a key at all" not in text
    with pytest.raises(AcmeRefused):
        get_module("acme").check(ServerAccess.of(server))
