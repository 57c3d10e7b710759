"""The REG.RU module against a local REG.API 2 server that answers as REG.RU's documentation
shows (regru_fake.py: every handler cites its section, every request is checked against the
documented parameters). Contexts are built from real rows: .ru and .рф orders placed and paid,
run by the worker's task runner on a server added through servers.actions. The registrant
comes from a context provider (the domains app will be the real one)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from decimal import Decimal

import pytest
from django.utils import translation

from hutor.catalog.models import Tariff
from hutor.ledger.queries import balance
from hutor.servers import actions as servers
from hutor.services import placement
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service, ServiceStatus
from hutor.services.provisioning import (
    CONTEXT_PROVIDERS,
    ProvisioningError,
    ProvisioningRefused,
    ServerAccess,
    context_for,
    get_module,
    provide_context,
)
from hutor.services.provisioning.registrar import Registrant, ascii_name
from hutor.services.provisioning.tests.regru_fake import FakeRegru, Serving
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db

PASSWORD = "Reseller-API-pass-7f3k"  # the alternative API password (#common_auth_params)

PERSON = Registrant(
    kind="person",
    email="ivanov@example.ru",
    phone="+7.9161234567",
    country="RU",
    city="Москва",
    postcode="101000",
    street="ул. Мясницкая, д. 1, кв. 2",
    name="Иванов Иван Иванович",
    name_latin="Ivan I Ivanov",
    birth_date=dt.date(1990, 11, 7),
    passport="4510 123456 выдан ОВД Басманного района г. Москвы 01.02.2010",
)
COMPANY = Registrant(
    kind="company",
    email="admin@hutor.example",
    phone="+7.4951234567",
    country="RU",
    city="Москва",
    postcode="117312",
    street="ул. Вавилова, д. 19",
    org="ООО «Хутор»",
    org_latin="Hutor LLC",
    inn="7707083893",
    kpp="773601001",
    legal_address="117312, г. Москва, ул. Вавилова, д. 19",
)


@pytest.fixture
def regru(tmp_path):
    fake = FakeRegru(username="hutor-reseller", password=PASSWORD)
    serving = Serving(fake, tmp_path)
    yield serving
    serving.stop()
    assert fake.violations == [], "requests outside the documented API"


@pytest.fixture
def registrar(catalog, regru):
    group = servers.add_group(code="regru-1", name="REG.RU")
    server = servers.add_server(
        name="regru",
        group=group,
        module="regru",
        host="127.0.0.1",
        port=regru.port,
        username="hutor-reseller",
        password=PASSWORD,
        settings={
            "ca_file": str(regru.cert),
            "nameservers": ["ns1.reg.ru", "ns2.reg.ru"],
            "enduser_ip": "203.0.113.10",
        },
    )
    Tariff.objects.filter(pk__in=[catalog.ru.pk, catalog.rf.pk]).update(server_group=group)
    catalog.ru.refresh_from_db()
    catalog.rf.refresh_from_db()
    return server


@pytest.fixture
def registrants():
    """What the domains app will provide: a domain's registrant and nameservers, by name."""
    by_name: dict[str, dict] = {}

    def provider(service):
        return by_name.get(service.identifier, {})

    provide_context(provider)
    yield by_name
    CONTEXT_PROVIDERS.remove(provider)


@pytest.fixture
def ordered(registrar, catalog, account_factory, top_up, registrants):
    """A paid domain order (its create task queued, not yet run)."""

    def make(name, registrant=PERSON, tariff="ru", months=12, nameservers=()):
        registrants[name] = {"registrant": registrant, "nameservers": tuple(nameservers)}
        customer = account_factory()
        price = catalog.price(getattr(catalog, tariff), months)
        service = place_order(billing_account=customer, price=price, identifier=name)
        assert service.provisioning_module == "regru"
        top_up(customer, str(price.price))
        return service

    return make


def placed(service):
    """Placed on the registrar's server, as the worker does before the first call."""
    return placement.place(service=service)


def calls(fake, function):
    return [d for f, d in fake.calls if f == function]


def test_a_ru_domain_for_a_person_and_an_rf_domain_for_a_company_are_registered(
    ordered, regru, registrants
):
    fake = regru.fake
    ru = ordered("ivanov-shop.ru", PERSON)
    rf = ordered(
        "хутор.рф", COMPANY, tariff="rf", nameservers=["ns1.hutor.example", "ns2.hutor.example"]
    )
    report = run_due_tasks()
    assert report.done == 2, [t.last_error for s in (ru, rf) for t in s.provisioning.all()]

    ru.refresh_from_db()
    registered = fake.domains["ivanov-shop.ru"]
    assert ru.remote_id == registered.service_id and ru.status == ServiceStatus.ACTIVE
    assert registered.contacts == {
        "person_r": "Иванов Иван Иванович",
        "person": "Ivan I Ivanov",
        "passport": "4510 123456 выдан ОВД Басманного района г. Москвы 01.02.2010",
        "birth_date": "07.11.1990",  # ДД.ММ.ГГГГ
        "p_addr": "101000, Москва, ул. Мясницкая, д. 1, кв. 2",
        "phone": "+7 916 1234567",
        "e_mail": "ivanov@example.ru",
        "country": "RU",
    }
    assert registered.nss == ["ns1.reg.ru", "ns2.reg.ru"]  # the server's defaults
    assert ru.access == {"nameservers": ["ns1.reg.ru", "ns2.reg.ru"]}
    (order,) = [d for d in calls(fake, "domain/create") if d["domain_name"] == "ivanov-shop.ru"]
    assert order["period"] == 1 and order["enduser_ip"] == "203.0.113.10"

    rf.refresh_from_db()
    puny = ascii_name("хутор.рф")
    assert puny.startswith("xn--") and puny.endswith(".xn--p1ai")
    company = fake.domains[puny]  # sent in Punycode
    assert rf.remote_id == company.service_id
    assert company.contacts == {
        "org_r": "ООО «Хутор»",
        "org": "Hutor LLC",
        "code": "7707083893",
        "kpp": "773601001",
        "address_r": "117312, г. Москва, ул. Вавилова, д. 19",
        "p_addr": "117312, Москва, ул. Вавилова, д. 19",
        "phone": "+7 495 1234567",
        "e_mail": "admin@hutor.example",
        "country": "RU",
    }
    assert company.nss == ["ns1.hutor.example", "ns2.hutor.example"]  # the order's own
    assert fake.balance == Decimal("5000") - 2 * Decimal("169")


def test_renew_nameservers_info_auth_code_and_a_retried_create(ordered, regru, registrants):
    fake = regru.fake
    module = get_module("regru")
    service = ordered("ivanov-shop.ru")
    run_due_tasks()
    service.refresh_from_db()
    domain = fake.domains["ivanov-shop.ru"]

    # A create whose answer was lost runs again: REG.RU already holds it for us.
    again = module.create(context_for(service))
    assert again.done and again.remote_id == domain.service_id
    assert len(calls(fake, "domain/create")) == 1

    before = domain.expires
    renewed = module.renew(context_for(service, {"years": "1", "expires_on": before.isoformat()}))
    assert renewed.done and domain.expires == before.replace(year=before.year + 1)
    charged = fake.balance
    # The same renewal retried (its answer lost): REG.RU's expiry is already past it.
    retry = module.renew(context_for(service, {"years": "1", "expires_on": before.isoformat()}))
    assert "already renewed" in retry.note and fake.balance == charged
    assert len(calls(fake, "service/renew")) == 1
    assert calls(fake, "service/renew")[0] == {"service_id": domain.service_id, "period": 1}

    registrants["ivanov-shop.ru"]["nameservers"] = ("ns1.hosting.example", "ns2.hosting.example")
    result = module.set_nameservers(context_for(service))
    assert result.done and domain.nss == ["ns1.hosting.example", "ns2.hosting.example"]

    info = module.info(context_for(service))
    assert info.expires_on == domain.expires and info.statuses == ("ok",)
    assert info.nameservers == ("ns1.hosting.example", "ns2.hosting.example")

    # REG.API gives no auth code to a reseller: it is sent to the domain's administrator.
    assert module.transfer_out(context_for(service)) == ""
    assert domain.authinfo_sent == ["email"]

    described = module.check(ServerAccess.of(service.server))
    assert described == f"REG.API 2: hutor-reseller (user 0), balance {fake.balance} RUR"


def test_availability_of_several_names_at_once(registrar, regru):
    regru.fake.add_taken("ya.ru")
    answers = get_module("regru").availability(
        ServerAccess.of(registrar),
        ["ya.ru", "free-name.ru", "свободный.рф", "premium1.ru", "x.cn", "a..b"],
    )
    assert [(a.name, a.available, a.premium) for a in answers] == [
        ("ya.ru", False, False),
        ("free-name.ru", True, False),
        ("свободный.рф", True, False),
        ("premium1.ru", True, True),
        ("x.cn", False, False),
        ("a..b", False, False),  # not a name: never sent
    ]
    assert answers[0].reason == "Domain already exists, use whois service"
    (asked,) = calls(regru.fake, "domain/check")
    assert [d["dname"] for d in asked["domains"]] == [
        "ya.ru", "free-name.ru", ascii_name("свободный.рф"), "premium1.ru", "x.cn"
    ]  # fmt: skip


def test_a_two_year_ru_order_is_registered_for_one_and_renewed_for_the_other(ordered, regru):
    service = ordered("two-years.ru", months=24)
    run_due_tasks()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.DONE, task.last_error
    domain = regru.fake.domains["two-years.ru"]
    assert domain.expires == domain.created.replace(year=domain.created.year + 2)
    assert [d["period"] for d in calls(regru.fake, "domain/create")] == [1]  # .ru: only 1
    assert calls(regru.fake, "service/renew") == [{"service_id": domain.service_id, "period": 1}]
    # A retry after the registration whose renewal never happened: renewed for the rest once.
    service.refresh_from_db()
    domain.expires = domain.created.replace(year=domain.created.year + 1)
    get_module("regru").create(context_for(service))
    assert domain.expires == domain.created.replace(year=domain.created.year + 2)
    get_module("regru").create(context_for(service))  # and again: nothing more charged
    assert len(calls(regru.fake, "service/renew")) == 2
    assert len(calls(regru.fake, "domain/create")) == 1


def test_a_name_taken_is_refunded_once_with_the_registrys_words(ordered, regru):
    regru.fake.add_taken("taken-name.ru")
    service = ordered("taken-name.ru")
    assert balance(service.billing_account).amount == Decimal("0.00")  # the order is paid
    run_due_tasks()
    service.refresh_from_db()
    task = service.provisioning.get()
    assert (task.status, task.attempts) == (ProvisioningStatus.DONE, 1)
    assert "Domain already exists, use whois service [DOMAIN_ALREADY_EXISTS]" in task.note
    assert service.status == ServiceStatus.TERMINATED and not service.remote_id
    paid = service.invoice_lines.get().amount
    assert balance(service.billing_account).amount == paid  # refunded (services.refusals)
    run_due_tasks()
    assert balance(service.billing_account).amount == paid  # once
    assert regru.fake.balance == Decimal("5000")  # the reseller was charged nothing


def test_a_temporary_error_is_retried(ordered, regru, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False)
    regru.fake.fail_next["domain/create"] = "SERVICE_UNAVAILABLE"
    service = ordered("later.ru")
    run_due_tasks()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.PENDING and task.attempts == 1
    assert "Reg.API is temporarily unavailable [SERVICE_UNAVAILABLE]" in task.last_error
    time_machine.shift(dt.timedelta(minutes=2))  # past the first backoff
    run_due_tasks()
    task.refresh_from_db()
    assert task.status == ProvisioningStatus.DONE
    assert "later.ru" in regru.fake.ours()


def test_a_short_reseller_balance_is_a_refusal_that_says_so(ordered, regru):
    regru.fake.balance = Decimal("100")
    service = ordered("no-money.ru")
    run_due_tasks()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.FAILED
    assert "Not enough money at account for this operation [NOT_ENOUGH_MONEY]" in task.last_error
    assert regru.fake.domains == {}
    with translation.override("en"), pytest.raises(ProvisioningRefused) as caught:
        get_module("regru").create(context_for(Service.objects.get(pk=service.pk)))
    assert "The reseller's prepaid balance at REG.RU is too low" in str(caught.value)


def test_contacts_the_registry_rejects_are_refused(ordered, regru):
    short = Registrant(**{**PERSON.__dict__, "passport": "4510 123456"})  # under 20 characters
    service = placed(ordered("bad-passport.ru", short))
    with pytest.raises(
        ProvisioningRefused, match=r"passport has incorrect format.*PARAMETER_INCORRECT"
    ):
        get_module("regru").create(context_for(service))
    incomplete = Registrant(**{**PERSON.__dict__, "birth_date": None})
    service = placed(ordered("no-birth-date.ru", incomplete))
    with pytest.raises(ProvisioningRefused, match="birth_date"):
        get_module("regru").create(context_for(service))
    assert len(calls(regru.fake, "domain/create")) == 1  # the second never sent


def test_a_wrong_password_is_an_error_to_retry_and_never_shows_the_password(
    ordered, regru, registrar, caplog
):
    servers.update_server(server=registrar, values={}, password="Wrong-pass-1234")
    service = placed(ordered("secret.ru"))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProvisioningError) as caught:
        get_module("regru").create(context_for(service))
    assert not isinstance(caught.value, ProvisioningRefused)
    assert "Username/password Incorrect [PASSWORD_AUTH_FAILED]" in str(caught.value)
    for text in (str(caught.value), caplog.text):
        assert "Wrong-pass-1234" not in text and PASSWORD not in text


def test_a_server_down_is_an_error_to_retry(ordered, regru, registrar):
    service = placed(ordered("down.ru"))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    servers.update_server(server=registrar, values={"port": closed})
    service.refresh_from_db()
    with pytest.raises(ProvisioningError) as caught:
        get_module("regru").create(context_for(service))
    assert not isinstance(caught.value, ProvisioningRefused)
    assert "regru service/get_info" in str(caught.value) and PASSWORD not in str(caught.value)
