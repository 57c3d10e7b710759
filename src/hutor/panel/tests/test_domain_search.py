"""The storefront's domain search (issue 14): a word or a name checked in every zone sold at
once with the year's price, through the zones' registrar (a module answering as a registry
would); IDN names in Unicode; a free name leads to its order form with the name filled in;
bad input is a message, never a 500; searches are limited per address."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from hutor.catalog.models import Tariff
from hutor.servers import actions as servers
from hutor.services import provisioning
from hutor.services.provisioning import ProvisioningResult
from hutor.services.provisioning.registrar import Availability, RegistrarModule, ascii_name

pytestmark = pytest.mark.django_db

URL = "/domains/"


class Registry(RegistrarModule):
    name = "search-registry"
    capabilities = frozenset({"create", "availability"})
    taken = {"romashka.ru"}
    asked: list[list[str]] = []

    def availability(self, server, names):
        Registry.asked.append([ascii_name(n) for n in names])
        return [Availability(n, ascii_name(n) not in Registry.taken) for n in names]

    def create(self, ctx):
        return ProvisioningResult(done=True)


@pytest.fixture
def registry(monkeypatch, catalog):
    monkeypatch.setitem(provisioning.MODULES, Registry.name, Registry)
    Registry.asked = []
    group = servers.add_group(code="registry", name="Registry")
    servers.add_server(name="reg1", group=group, module=Registry.name, host="epp.example.net")
    Tariff.objects.filter(service_type__code="domain").update(server_group=group)
    cache.clear()


def rows(response) -> list[tuple[str, str]]:
    html = response.content.decode()
    return re.findall(r'data-available="(\w+)">\s*<td class="mono">([^<]+)</td>', html)


def test_a_word_is_checked_in_every_zone_at_once_with_prices(client, catalog, registry):
    response = client.get(URL, {"q": "romashka"})
    assert response.status_code == 200
    assert rows(response) == [("no", "romashka.ru"), ("yes", "romashka.рф")]
    assert Registry.asked == [["romashka.ru", "romashka.xn--p1ai"]]  # one call, punycode
    html = response.content.decode()
    assert "199,00" in html and "Занят" in html and "Свободен" in html
    assert "/order/domain/rf/?identifier=romashka.%D1%80%D1%84" in html
    # Taken: no order button, a transfer instead (the order form's code field).
    assert "/order/domain/ru/?identifier=romashka.ru#id_auth_code" in html


def test_a_full_name_comes_first_and_idn_is_shown_in_unicode(client, catalog, registry):
    response = client.get(URL, {"q": "Пример.РФ"})
    assert rows(response)[0] == ("yes", "пример.рф")
    again = client.get(URL, {"q": "xn--e1afmkfd.xn--p1ai"})  # punycode typed: the same name
    assert rows(again)[0] == ("yes", "пример.рф")
    assert len(Registry.asked) == 1  # the same names: answered from the cache


def test_the_order_link_fills_in_the_name(client, catalog, registry):
    form = client.get("/order/domain/rf/", {"identifier": "romashka.рф"}).content.decode()
    assert 'value="romashka.рф"' in form


def test_bad_input_is_a_message_and_searches_are_limited(client, catalog, registry, settings):
    english = Client(headers={"accept-language": "en"})
    response = english.get(URL, {"q": "http://romashka.ru/"})
    assert response.status_code == 200 and "without http://" in response.content.decode()
    assert Registry.asked == []
    settings.HUTOR_DOMAIN_SEARCHES_PER_IP_HOUR = 2
    assert english.get(URL, {"q": "a1"}).status_code == 200
    assert english.get(URL, {"q": "a2"}).status_code == 200
    over = english.get(URL, {"q": "a3"})
    assert over.status_code == 429 and "Too many searches" in over.content.decode()
    assert len(Registry.asked) == 2


def test_a_zone_without_a_registrar_is_checked_when_ordered(client, catalog):
    response = client.get(URL, {"q": "romashka"})
    assert rows(response) == [("unknown", "romashka.ru"), ("unknown", "romashka.рф")]
    assert "/order/domain/ru/?identifier=romashka.ru" in response.content.decode()
