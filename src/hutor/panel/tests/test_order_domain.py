"""A hosting ordered with its domain from the storefront (issue 14): "also register this
domain" makes one order, one invoice with two lines and two services, the domain registered to
the contact profile chosen; the zone's registrar is asked first whether the name is free, and a
taken name is said on the form, nothing created. Over HTTP, as a logged-in customer (a new one
gives the owner's details on the form: test_order_new_owner.py); the registrar is a module
answering as a registry would."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from hutor.catalog.models import Tariff
from hutor.domains.actions import create_contact_profile
from hutor.domains.tests.data import person
from hutor.invoices.models import Invoice
from hutor.panel.tests.test_order_flow import order_form
from hutor.servers import actions as servers
from hutor.services import provisioning
from hutor.services.models import Service
from hutor.services.provisioning import ProvisioningResult, context_for
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


@pytest.fixture
def customer(account_factory):
    """A logged-in customer with a contact profile (the domain's owner)."""
    account = account_factory(email="olga@example.com")
    profile = create_contact_profile(billing_account=account, **person(label="Ольга"))
    client = Client()
    client.force_login(account.user)
    return account, profile, client


def data(client: Client, catalog, domain: str, **more: str) -> dict[str, str]:
    return order_form(client, URL) | {
        "price": str(catalog.price(catalog.start, 1).pk),
        "identifier": domain,
        "accept_offer": "on",
        **more,
    }


def test_the_hosting_and_its_domain_are_one_order_and_one_invoice(catalog, registry, customer):
    _account, profile, client = customer
    form = client.get(URL).content.decode()
    assert 'data-testid="register-domain"' in form and "Зарегистрировать и этот домен" in form
    assert ".ru" in form and ".рф" in form and 'data-testid="domain-owner"' in form
    more = {"register_domain": "on", "contact_profile": str(profile.pk)}
    response = client.post(URL, data(client, catalog, "romashka.ru", **more))
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    hosting, domain = (line.service for line in invoice.lines.order_by("position"))
    assert (hosting.tariff, domain.tariff) == (catalog.start, catalog.ru)
    assert hosting.identifier == domain.identifier == "romashka.ru"
    assert invoice.total == 199 + 199 and Registry.asked == [["romashka.ru"]]
    assert domain.domain_details.contact_profile == profile
    registrant = context_for(domain).registrant
    assert registrant is not None and registrant.name == profile.name
    assert invoice.number in client.get(response["Location"]).content.decode()


def test_without_the_box_only_the_hosting_is_ordered(catalog, registry, customer):
    _account, _profile, client = customer
    assert client.post(URL, data(client, catalog, "romashka.ru")).status_code == 302
    assert Service.objects.get().tariff == catalog.start and Registry.asked == []


def test_a_taken_domain_is_said_on_the_form_and_nothing_is_created(catalog, registry, customer):
    _account, profile, client = customer
    more = {"register_domain": "on", "contact_profile": str(profile.pk)}
    response = client.post(
        URL, data(client, catalog, "taken.ru", **more), headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert "The domain taken.ru is already registered" in response.content.decode()
    assert not Service.objects.exists()


def test_an_owner_is_required_and_a_zone_must_be_sold(catalog, registry, customer, account_factory):
    _account, profile, client = customer
    response = client.post(URL, data(client, catalog, "romashka.ru", register_domain="on"))
    assert "Выберите владельца домена." in response.content.decode()
    more = {"register_domain": "on", "contact_profile": str(profile.pk)}
    response = client.post(URL, data(client, catalog, "romashka.com", **more))
    assert "не регистрируем домены в .com" in response.content.decode()
    # Another account's profile is no choice at all.
    other = create_contact_profile(billing_account=account_factory(), **person(label="Чужой"))
    more["contact_profile"] = str(other.pk)
    response = client.post(URL, data(client, catalog, "romashka.ru", **more))
    assert response.status_code == 200 and not Service.objects.exists()


def test_a_new_customer_is_asked_the_owner_s_details_instead_of_a_profile(
    client, catalog, registry
):
    # test_order_new_owner.py orders it.
    form = client.get(URL).content.decode()
    assert 'data-testid="register-domain"' in form and 'data-testid="domain-owner"' not in form
    assert 'data-testid="new-domain-owner"' in form
