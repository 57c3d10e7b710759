"""A registered domain's registry side on its service page (issue 14): the registry's expiry,
statuses and lock as synced, the nameservers changed, the transfer code given (recorded in the
service's history, never the code) and the transfer lock turned on and off, each a call of the
EPP module to the test EPP server (which validates every command against the RFC schemas).
The domain is ordered, paid and registered by the worker as in production."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from hutor.backoffice.tests.conftest import desk_client, staff_factory  # noqa: F401
from hutor.domains.actions import create_contact_profile, set_domain_details
from hutor.domains.tests.data import person
from hutor.services.actions import place_order
from hutor.services.models import ServiceEvent
from hutor.services.provisioning.tests.epp_fixtures import CLID, add_registry, running
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def midday():
    """At midday UTC, when the provider's date (Moscow) and the test registry's (UTC) are the
    same day. Between 21:00 and 24:00 UTC they differ: a domain registered then has a registry
    expiry a day before billing's paid-until, which the daily sync aligns (its own test)."""
    today = dt.datetime.now(dt.UTC).date()
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), dt.UTC), tick=True):
        yield


HOSTS = ["ns1.hosting.example", "ns2.hosting.example"]


@pytest.fixture
def epp(tmp_path):
    with running(tmp_path) as server:
        yield server


@pytest.fixture
def registered(epp, catalog, account_factory, top_up):
    add_registry(epp, nameservers=HOSTS)
    catalog.ru.refresh_from_db()
    account = account_factory()
    owner = create_contact_profile(billing_account=account, **person(label="Я"))
    service = place_order(
        billing_account=account, price=catalog.price(catalog.ru, 12), identifier="romashka.ru"
    )
    set_domain_details(service=service, contact_profile=owner)
    top_up(account, "199.00")
    run_due_tasks()
    service.refresh_from_db()
    assert epp.registry.domains["romashka.ru"].sponsor == CLID
    client = Client()
    client.force_login(account.user)
    return service, client


def url(name: str, service) -> str:
    return reverse(f"panel:{name}", args=[service.pk])


def test_the_registry_side_is_shown_synced_and_changed(epp, registered):
    service, client = registered
    page = client.get(url("service_detail", service)).content.decode()
    assert 'data-testid="service-domain"' in page and 'data-testid="domain-sync"' in page

    client.post(url("domain_sync", service))
    page = client.get(url("service_detail", service)).content.decode()
    expires = epp.registry.domains["romashka.ru"].expires.date()
    service.domain_details.refresh_from_db()
    assert service.domain_details.registry_expires_on == expires
    assert 'data-testid="domain-expires"' in page and expires.strftime("%Y") in page

    new = ["ns1.example.net", "ns2.example.net", "ns3.example.net"]
    response = client.post(url("domain_nameservers", service), {"nameservers": "\n".join(new)})
    assert response.status_code == 302
    assert sorted(epp.registry.domains["romashka.ru"].hosts) == new
    event = service.events.get(code="nameservers")
    assert (event.actor, event.params) == (ServiceEvent.Actor.CUSTOMER, {"hosts": new})

    client.post(url("domain_lock", service), {"locked": "on"})
    assert "clientTransferProhibited" in epp.registry.domains["romashka.ru"].statuses
    service.domain_details.refresh_from_db()
    assert service.domain_details.locked

    response = client.post(url("domain_transfer_code", service))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    code = epp.registry.domains["romashka.ru"].auth
    assert code in response.content.decode()
    assert "clientTransferProhibited" not in epp.registry.domains["romashka.ru"].statuses
    given = service.events.get(code="auth_code")
    assert code not in str(given.params)  # who asked is recorded, never the code


def test_bad_nameservers_are_a_message_and_nothing_changes(epp, registered):
    service, client = registered
    before = list(epp.registry.domains["romashka.ru"].hosts)
    english = {"headers": {"accept-language": "en"}}
    response = client.post(
        url("domain_nameservers", service),
        {"nameservers": "only-one.example"},
        follow=True,
        **english,
    )
    assert "from two to thirteen" in response.content.decode()
    response = client.post(
        url("domain_nameservers", service),
        {"nameservers": "ns1.example.net\nhttp://bad/"},
        follow=True,
        **english,
    )
    assert "without http://" in response.content.decode()
    assert epp.registry.domains["romashka.ru"].hosts == before
    assert not service.events.filter(code="nameservers").exists()


def test_another_customers_domain_is_404(registered, account_factory):
    service, _client = registered
    stranger = Client()
    stranger.force_login(account_factory().user)
    for name in ("domain_sync", "domain_nameservers", "domain_transfer_code", "domain_lock"):
        assert stranger.post(url(name, service)).status_code == 404


def test_the_daily_run_syncs_the_registry_and_reports_drift(
    epp,
    registered,
    desk_client,  # noqa: F811
):
    import datetime as dt
    import io

    from django.core.management import call_command

    from hutor.billing.models import BillingRun
    from hutor.domains.sync import drifting

    service, _client = registered
    held = epp.registry.domains["romashka.ru"]
    assert held.expires.date() == service.paid_until  # registered for the year paid
    held.expires -= dt.timedelta(days=40)  # a renewal that never reached the registry
    call_command("billing", "run", stdout=io.StringIO())
    run = BillingRun.objects.latest("pk")
    assert run.counts["domains"] == {"synced": 1, "drift": 1}  # zeros are left out
    service.domain_details.refresh_from_db()
    assert service.domain_details.registry_expires_on == held.expires.date()
    assert [d.service_id for d in drifting()] == [service.pk]
    service.refresh_from_db()
    assert service.paid_until == (held.expires + dt.timedelta(days=40)).date()  # untouched
    # The desk's failures page lists it.
    from hutor.backoffice.models import Role

    desk, _staff = desk_client(Role.SUPPORT)
    page = desk.get(reverse("desk:queue")).content.decode()
    assert 'data-testid="domain-drift-row"' in page and "romashka.ru" in page


def test_a_taken_domain_is_transferred_in_with_its_code(epp, catalog, account_factory, top_up):
    """The domain search's "Transfer it here": the order form takes the code from the losing
    registrar (kept encrypted), and after payment the worker asks the registry for the
    transfer (EPP <transfer op="request">), which waits for the other registrar."""
    from hutor.domains.models import DomainDetails
    from hutor.services.models import Service
    from hutor.services.provisioning.tests.epp_fixtures import OTHER

    add_registry(epp, nameservers=HOSTS)
    held = epp.registry.add_domain("moving.ru", OTHER)
    account = account_factory()
    client = Client()
    client.force_login(account.user)
    url_ = "/order/domain/ru/"
    form = client.get(url_, {"identifier": "moving.ru"}).content.decode()
    assert 'data-testid="auth-code"' in form
    token = form.split('name="order_token" value="')[1].split('"')[0]
    data = {
        "order_token": token,
        "price": str(catalog.price(catalog.ru, 12).pk),
        "identifier": "moving.ru",
        "accept_offer": "on",
    }
    # Without the code the name is taken: the form says how to transfer it.
    refused = client.post(url_, data, headers={"accept-language": "en"})
    assert "enter the transfer code" in refused.content.decode()
    assert not Service.objects.exists()
    assert client.post(url_, data | {"auth_code": held.auth}).status_code == 302
    service = Service.objects.get()
    details = DomainDetails.objects.get(service=service)
    assert details.auth_code.reveal() == held.auth and details.contact_profile is None
    top_up(account, "199.00")
    run_due_tasks()
    task = service.provisioning.get()
    assert task.status == "done", task.last_error
    assert held.transfer is not None and held.transfer.gaining == CLID


def test_an_edited_owner_is_updated_at_the_registry(epp, registered):
    """The contact profile edited in the panel: the registry's registrant of every registered
    domain that uses it is updated (EPP <contact:update>, validated against the schemas)."""
    from hutor.panel.tests.test_contacts import form

    service, client = registered
    profile = service.domain_details.contact_profile
    data = form(person(label=profile.label, street="ул. Новая, д. 7"))
    data.update(passport_number="", passport_issued_by="", passport_issued_on="")
    response = client.post(f"/panel/contacts/{profile.pk}/", data, follow=True)
    assert "romashka.ru" in response.content.decode()  # "updated at the registry for"
    handle = epp.registry.domains["romashka.ru"].registrant
    sent = "".join("".join(n.itertext()) for n in epp.registry.contacts[handle].details)
    assert "ул. Новая, д. 7" in sent
    assert "contact:update" in epp.received
