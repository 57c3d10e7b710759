"""A certificate service's key and CSR (ca.py, csr.py): Hutor makes the private key before
the first call and keeps it encrypted on the service, the module gets a CSR of it naming the
service's domain and the tariff's alternative names, a retried order asks with the same key,
and a customer's own CSR is passed as given with no key made. Driven as in production: an
order paid, `hutor worker`."""

import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.db import connection

from hutor.catalog.models import Tariff
from hutor.core.secrets import MASK
from hutor.servers import actions as servers
from hutor.services import provisioning
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus
from hutor.services.provisioning import ProvisioningError, ProvisioningResult
from hutor.services.provisioning.ca import CertificateAuthorityModule

pytestmark = pytest.mark.django_db


class RecordingCA(CertificateAuthorityModule):
    name = "recording-ca"
    capabilities = frozenset({"create"})
    csrs: list[str] = []
    fail = 0

    def create(self, ctx):
        RecordingCA.csrs.append(ctx.csr_pem)
        if RecordingCA.fail:
            RecordingCA.fail -= 1
            raise ProvisioningError("CA busy")
        return ProvisioningResult(done=True, access={"state": "validating"})


@pytest.fixture
def ca_service(monkeypatch, catalog, account_factory, top_up):
    monkeypatch.setitem(provisioning.MODULES, "recording-ca", RecordingCA)
    RecordingCA.csrs, RecordingCA.fail = [], 0
    group = servers.add_group(code="ca", name="CA")
    servers.add_server(name="ca1", group=group, module="recording-ca", host="ca.example.net")
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"alt_names": ["www"]}
    )
    catalog.start.refresh_from_db()

    def make(**access):
        account = account_factory()
        service = place_order(
            billing_account=account,
            price=catalog.price(catalog.start, 1),
            identifier="пример.рф",
        )
        if access:
            service.access = access
            service.save(update_fields=["access"])
        top_up(account, "199.00")
        return service

    return make


def worker():
    call_command("worker", "--once", stdout=io.StringIO())


def test_the_module_gets_a_csr_of_a_key_kept_encrypted_and_a_retry_uses_the_same_key(
    ca_service, time_machine
):
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False)
    RecordingCA.fail = 1
    service = ca_service()
    worker()
    time_machine.shift(120)
    worker()
    assert service.provisioning.get().status == ProvisioningStatus.DONE
    first, second = RecordingCA.csrs
    request = x509.load_pem_x509_csr(first.encode())
    assert request.is_signature_valid
    names = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [
        "xn--e1afmkfd.xn--p1ai",
        "www.xn--e1afmkfd.xn--p1ai",
    ]
    assert x509.load_pem_x509_csr(second.encode()).public_key() == request.public_key()
    service.refresh_from_db()
    key = serialization.load_pem_private_key(service.password.reveal().encode(), None)
    assert key.public_key() == request.public_key()
    assert str(service.password) == MASK and "PRIVATE KEY" not in str(service.access)
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM services_service WHERE id = %s", [service.pk])
        assert "PRIVATE KEY" not in cursor.fetchone()[0]


def test_a_customers_own_csr_is_passed_as_given_and_no_key_is_made(ca_service):
    from hutor.services.provisioning.csr import make_csr, make_private_key

    own = make_csr(make_private_key(), ["shop.example.com"])
    service = ca_service(csr_pem=own)
    worker()
    assert RecordingCA.csrs == [own]
    service.refresh_from_db()
    assert not service.password
