"""A domain's registration refused by the registry (issue 14): what the customer paid for it is
back on the balance at once and exactly once, the service is terminated with the reason, the
customer is told in their language by email and on the service page. Driven as in production:
an order placed and paid, `hutor worker` running the registration through a registrar module
that answers as a registry whose name was taken meanwhile (EPP 2302)."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hutor.catalog.models import Tariff
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.ledger.queries import balance
from hutor.notifications.actions import deliver_due
from hutor.servers import actions as servers
from hutor.services import provisioning, refusals
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service
from hutor.services.provisioning import ProvisioningRefused, ProvisioningResult
from hutor.services.provisioning.registrar import Availability, Refusal, RegistrarModule

pytestmark = pytest.mark.django_db

TAKEN = "2302 Object exists: romashka.ru"


class TakenRegistry(RegistrarModule):
    """A registry on which every name has just been registered by someone else."""

    name = "taken-registry"
    capabilities = frozenset({"create", "availability"})

    def availability(self, server, names):
        return [Availability(name=n, available=False, reason="In use") for n in names]

    def create(self, ctx):
        raise ProvisioningRefused(TAKEN, refusal=Refusal.TAKEN)


class OpenRegistry(TakenRegistry):
    name = "open-registry"

    def create(self, ctx):
        return ProvisioningResult(done=True, remote_id=ctx.service.identifier)


@pytest.fixture
def registry(monkeypatch, catalog):
    for module in (TakenRegistry, OpenRegistry):
        monkeypatch.setitem(provisioning.MODULES, module.name, module)
    group = servers.add_group(code="registry", name="Registry")
    servers.add_server(
        name="epp1", group=group, module="taken-registry", host="epp.example.net", port=700
    )
    Tariff.objects.filter(pk=catalog.ru.pk).update(server_group=group)
    catalog.ru.refresh_from_db()
    return group


def worker():
    call_command("worker", "--once", stdout=io.StringIO())


def test_a_refused_registration_refunds_the_price_once_and_says_why(
    registry, catalog, account_factory, top_up, mailoutbox
):
    account = account_factory()
    top_up(account, "1000.00")
    hosting = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="romashka.ru"
    )
    domain = place_order(
        billing_account=account, price=catalog.price(catalog.ru, 12), identifier="romashka.ru"
    )
    assert domain.provisioning_module == "taken-registry"
    assert balance(account).amount == Decimal("1000.00") - 199 - 199  # both orders paid
    worker()
    domain = Service.objects.get(pk=domain.pk)
    assert domain.status == "terminated" and not domain.auto_renew
    assert balance(account).amount == Decimal("1000.00") - 199  # the domain's price is back
    (refund,) = JournalEntry.objects.filter(kind=EntryKind.REFUND, billing_account=account)
    assert refund.idempotency_key == f"registration-refused:{domain.pk}"
    task = domain.provisioning.get()
    assert task.status == ProvisioningStatus.DONE and TAKEN in task.note
    event = domain.events.get(code="refuse")
    assert event.params == {"code": "taken", "detail": TAKEN, "refunded": "199.00"}
    assert Service.objects.get(pk=hosting.pk).status == "active"  # the hosting goes on

    # Exactly once: the worker again, the refusal again (a retried task), nothing moves.
    worker()
    assert refusals.refuse(service_id=domain.pk, code=Refusal.TAKEN, detail=TAKEN) is None
    assert JournalEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert balance(account).amount == Decimal("801.00")

    deliver_due()
    (letter,) = [m for m in mailoutbox if "romashka.ru" in m.subject and "не" in m.subject]
    assert "это имя уже зарегистрировал кто-то другой" in letter.body
    assert TAKEN in letter.body and "199,00" in letter.body and account.number in letter.body

    client = Client()
    client.force_login(account.user)
    page = client.get(reverse("panel:service_detail", args=[domain.pk])).content.decode()
    assert 'data-testid="service-refused"' in page
    assert "это имя уже зарегистрировал кто-то другой" in page
    english = client.get(
        reverse("panel:service_detail", args=[domain.pk]), headers={"accept-language": "en"}
    ).content.decode()
    assert "the name has been registered by someone else" in english


def test_a_registration_that_succeeds_refunds_nothing(registry, catalog, account_factory, top_up):
    from hutor.servers.models import Server

    Server.objects.filter(name="epp1").update(module="open-registry")
    account = account_factory()
    top_up(account, "199.00")
    domain = place_order(
        billing_account=account, price=catalog.price(catalog.ru, 12), identifier="romashka.ru"
    )
    worker()
    domain.refresh_from_db()
    assert domain.status == "active" and domain.remote_id == "romashka.ru"
    assert not JournalEntry.objects.filter(kind=EntryKind.REFUND).exists()
    assert refusals.refusal_of(domain) is None
