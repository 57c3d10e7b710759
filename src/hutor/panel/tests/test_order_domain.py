"""A hosting ordered with its domain from the storefront (issue 14): "also register this
domain" makes one order, one invoice with two lines and two services; the zone's registrar is
asked first whether the name is free, and a taken name is said on the form, nothing created.
Over HTTP, as a new customer; the registrar is a module answering as a registry would."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from hutor.accounts.models import BillingAccount
from hutor.catalog.models import Tariff
from hutor.invoices.models import Invoice
from hutor.panel.tests.test_order_flow import order_form
from hutor.servers import actions as servers
from hutor.services import provisioning
from hutor.services.models import Service
from hutor.services.provisioning import ProvisioningResult
from hutor.services.provisioning.registrar import Availability, RegistrarModule

pytestmark = pytest.mark.django_db

URL = "/order/hosting/start/"


class Registry(RegistrarModule):
    """Knows which names are registered; counts the availability calls."""

    name = "test-registry"
    capabilities = frozenset({"create", "availability"})
    taken = {"taken.ru"}
    asked: list[list[str]] = []

    def availability(self, server, names):
        Registry.asked.append(list(names))
        return [Availability(n, n not in Registry.taken, "In use") for n in names]

    def create(self, ctx):
        return ProvisioningResult(done=True)


@pytest.fixture
def registry(monkeypatch, catalog):
    monkeypatch.setitem(provisioning.MODULES, Registry.name, Registry)
    Registry.asked = []
    group = servers.add_group(code="registry", name="Registry")
    servers.add_server(name="reg1", group=group, module=Registry.name, host="epp.example.net")
    Tariff.objects.filter(pk=catalog.ru.pk).update(server_group=group)
    cache.clear()


def data(client: Client, catalog, domain: str, **more: str) -> dict[str, str]:
    return order_form(client, URL) | {
        "price": str(catalog.price(catalog.start, 1).pk),
        "identifier": domain,
        "email": "olga@example.com",
        "name": "Ольга Смирнова",
        "kind": "individual",
        "accept_offer": "on",
        **more,
    }


def test_the_hosting_and_its_domain_are_one_order_and_one_invoice(client, catalog, registry):
    form = client.get(URL).content.decode()
    assert 'data-testid="register-domain"' in form and "Зарегистрировать и этот домен" in form
    assert ".ru" in form and ".рф" in form
    response = client.post(URL, data(client, catalog, "romashka.ru", register_domain="on"))
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    hosting, domain = (line.service for line in invoice.lines.order_by("position"))
    assert (hosting.tariff, domain.tariff) == (catalog.start, catalog.ru)
    assert hosting.identifier == domain.identifier == "romashka.ru"
    assert invoice.total == 199 + 199 and Registry.asked == [["romashka.ru"]]
    done = client.get(response["Location"]).content.decode()
    assert invoice.number in done


def test_without_the_box_only_the_hosting_is_ordered(client, catalog, registry):
    assert client.post(URL, data(client, catalog, "romashka.ru")).status_code == 302
    assert Service.objects.get().tariff == catalog.start and Registry.asked == []


def test_a_taken_domain_is_said_on_the_form_and_nothing_is_created(client, catalog, registry):
    english = Client(headers={"accept-language": "en"})
    response = english.post(URL, data(english, catalog, "taken.ru", register_domain="on"))
    assert response.status_code == 200
    assert "The domain taken.ru is already registered" in response.content.decode()
    assert not BillingAccount.objects.exists() and not Service.objects.exists()


def test_a_zone_the_catalog_does_not_sell_is_said_on_the_form(client, catalog, registry):
    response = client.post(URL, data(client, catalog, "romashka.com", register_domain="on"))
    assert response.status_code == 200
    assert "не регистрируем домены в .com" in response.content.decode()
    assert not Service.objects.exists()
