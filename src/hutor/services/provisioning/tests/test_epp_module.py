"""EppRegistrar's idempotent paths and registrar capabilities, against the local EPP server
that validates every command against the RFC schemas (epp_server.py); and a domain ordered,
paid and registered by the worker through real Hutor rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hutor.ledger.queries import balance
from hutor.notifications.actions import deliver_due
from hutor.services import provisioning
from hutor.services.models import ProvisioningStatus, ServiceStatus
from hutor.services.provisioning import ProvisioningRefused, ServerAccess, get_module
from hutor.services.provisioning.epp.client import EppSession
from hutor.services.provisioning.epp.objects import domain_check
from hutor.services.provisioning.epp.protocol import DOMAIN_NS, sub
from hutor.services.provisioning.registrar import Registrant, ascii_name
from hutor.services.provisioning.tests.epp_fixtures import (
    CLID,
    NAMESERVERS,
    OTHER,
    PASSWORD,
    PERSON,
    add_registry,
    context,
    order_domain,
    running,
)
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def epp(tmp_path):
    with running(tmp_path) as server:
        yield server


@pytest.fixture
def registry(epp, catalog):
    return add_registry(epp, nameservers=list(NAMESERVERS))


@pytest.fixture
def domain(registry, catalog, account_factory):
    def make(name="example.ru", **kwargs):
        return order_domain(catalog, account_factory, name, **kwargs)

    return make


def test_a_retried_create_whose_answers_were_lost_is_success(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    # The registry creates the contact, then the connection falls before the answer: the
    # session reconnects, sends it again, gets 2302 and <contact:info> shows it is ours.
    epp.lose_answer_of = "contact:create"
    first = module.create(context(service, registry))
    assert first.done and first.note == "example.ru registered"
    assert epp.received.count("contact:create") == 2
    assert epp.received.count("contact:info") == 1 and epp.logins == 2

    # The worker's retry of the whole task (its result never recorded): the contact and the
    # domain exist as ours, so it is success without a second domain or contact.
    again = module.create(context(service, registry))
    assert again.done and again.note == "example.ru was registered already (ours)"
    assert again.access["registrant_handle"] == first.access["registrant_handle"]
    assert list(epp.registry.domains) == ["example.ru"]
    assert list(epp.registry.contacts) == [f"HUT-{service.pk}"]


def test_a_create_dropped_after_the_registry_made_it_is_success(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    handle = "HUT-EXISTING"
    epp.registry.add_contact(handle, CLID)
    for host in NAMESERVERS:
        epp.registry.add_host(host, CLID)
    epp.lose_answer_of = "domain:create"  # done by the registry, its answer lost
    registrant = Registrant(**{**PERSON.__dict__, "handle": handle})
    result = module.create(context(service, registry, registrant=registrant))
    assert result.done and result.note == "example.ru was registered already (ours)"
    assert epp.received.count("domain:create") == 2
    assert epp.registry.domains["example.ru"].registrant == handle


def test_a_domain_of_ours_with_another_registrant_is_not_taken_for_ours(epp, registry, domain):
    epp.registry.add_contact("SOMEONE", CLID)
    epp.registry.add_domain("example.ru", CLID, registrant="SOMEONE")
    with pytest.raises(ProvisioningRefused, match="2302 Object exists"):
        get_module("epp").create(context(domain("example.ru"), registry))


def test_a_contact_id_taken_by_another_registrar_is_refused(epp, registry, domain):
    service = domain("example.ru")
    epp.registry.add_contact(f"HUT-{service.pk}", OTHER)
    with pytest.raises(ProvisioningRefused, match="belongs to another registrar"):
        get_module("epp").create(context(service, registry))
    assert epp.registry.domains == {}


def test_a_retried_renewal_is_not_a_second_one(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    start = epp.registry.domains["example.ru"].expires.date()
    expires = start.isoformat()
    one_year = start.replace(year=start.year + 1)

    first = module.renew(context(service, registry, expires_on=expires, years="1"))
    assert first.access["expires_on"] == one_year.isoformat()
    # Billing's retry of the same renewal (its answer lost): 2306 for the old curExpDate,
    # and <domain:info> shows the renewed expiry, so it is done, once.
    again = module.renew(context(service, registry, expires_on=expires, years="1"))
    assert again.done and again.note.startswith("example.ru was renewed already")
    assert epp.registry.domains["example.ru"].expires.date() == one_year
    assert epp.answered.count(2306) == 1

    # The answer lost on the wire: the reconnected session sends the renewal again.
    epp.lose_answer_of = "domain:renew"
    two_years = one_year.replace(year=one_year.year + 1)
    third = module.renew(context(service, registry, expires_on=one_year.isoformat(), years="1"))
    assert third.access["expires_on"] == two_years.isoformat()
    assert epp.registry.domains["example.ru"].expires.date() == two_years


def test_a_renewal_from_a_date_the_registry_does_not_show_is_refused(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    with pytest.raises(ProvisioningRefused, match="2306 Parameter value policy error"):
        module.renew(context(service, registry, expires_on="2001-01-01", years="1"))


def test_a_renewal_without_a_date_takes_the_registrys(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    before = epp.registry.domains["example.ru"].expires.date()
    result = module.renew(context(service, registry, years="2"))
    assert result.access["expires_on"] == before.replace(year=before.year + 2).isoformat()
    assert epp.received[-2:] == ["domain:info", "domain:renew"]


def test_a_transfer_in_requested_twice_is_one_transfer(epp, registry, domain):
    theirs = epp.registry.add_domain("moving.ru", OTHER)
    service = domain("moving.ru")
    module = get_module("epp")
    first = module.transfer_in(context(service, registry, auth_code=theirs.auth))
    again = module.transfer_in(context(service, registry, auth_code=theirs.auth))
    assert first.access == again.access == {"transfer_status": "pending"}
    assert epp.answered.count(1001) == 1 and epp.answered.count(2300) == 1
    epp.registry.approve_transfer("moving.ru")
    info = module.info(context(service, registry))
    assert "pendingTransfer" not in info.statuses
    assert module.transfer_in(context(service, registry, auth_code=theirs.auth)).access == {
        "transfer_status": "clientApproved"
    }


def test_an_order_with_an_auth_code_is_a_transfer(epp, registry, domain):
    theirs = epp.registry.add_domain("moving.ru", OTHER)
    result = get_module("epp").create(context(domain("moving.ru"), registry, auth_code=theirs.auth))
    assert result.note == "transfer of moving.ru requested: pending"
    assert "domain:create" not in epp.received


def test_transfer_out_unlocks_and_gives_the_auth_code(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    assert module.lock(context(service, registry), locked=True).done
    assert module.info(context(service, registry)).locked
    assert module.lock(context(service, registry), locked=True).done  # nothing sent again
    assert epp.received.count("domain:update") == 1

    registered = epp.registry.domains["example.ru"]
    code = module.transfer_out(context(service, registry))
    assert code == registered.auth and len(code) == 16
    assert not module.info(context(service, registry)).locked

    registered.auth = ""  # a registry that shows none: a fresh one is set
    fresh = module.transfer_out(context(service, registry))
    assert fresh and registered.auth == fresh


def test_nameservers_are_set_exactly(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    wanted = ("ns2.hosting.example", "NS.Другой.РФ")
    result = module.set_nameservers(context(service, registry, nameservers=wanted))
    punycode = ascii_name("NS.Другой.РФ")
    assert punycode.startswith("ns.xn--") and punycode.endswith(".xn--p1ai")
    assert result.access == {"nameservers": ["ns2.hosting.example", punycode]}
    assert epp.registry.domains["example.ru"].hosts == ["ns2.hosting.example", punycode]
    assert punycode in epp.registry.hosts  # its host object created first (RFC 5732)
    module.set_nameservers(context(service, registry, nameservers=wanted))
    assert epp.received.count("domain:update") == 1  # the same again: nothing sent


def test_the_registrants_data_is_updated(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    handle = module.create(context(service, registry)).access["registrant_handle"]
    moved = Registrant(**{**PERSON.__dict__, "email": "new@example.org", "handle": handle})
    assert module.update_contacts(context(service, registry, registrant=moved)).done
    emails = [n.text for n in epp.registry.contacts[handle].details if n.tag.endswith("email")]
    assert emails == ["new@example.org"]


def test_an_idn_domain_goes_to_the_registry_in_punycode(epp, registry, domain):
    service = domain("пример.рф")
    result = get_module("epp").create(context(service, registry))
    assert result.remote_id == "xn--e1afmkfd.xn--p1ai"
    assert "xn--e1afmkfd.xn--p1ai" in epp.registry.domains
    info = get_module("epp").info(context(service, registry))
    assert info.name == "пример.рф"


def test_the_server_refuses_a_command_outside_the_schema(epp, registry):
    """The validating server is not vacuous: a command the schema refuses is a violation."""
    session = EppSession(ServerAccess.of(registry))
    bad = domain_check(["example.ru"])
    sub(bad, DOMAIN_NS, "period", "1", unit="y")  # <domain:check> takes names only
    with pytest.raises(ProvisioningRefused, match="2001 Command syntax error"):
        session.request("check", bad)
    session.logout()
    assert len(epp.violations) == 1 and "period" in epp.violations[0]
    epp.violations.clear()


@pytest.fixture
def registrant_provider():
    """What the domains app will provide: the registrant and nameservers of a domain."""

    def provide(service):
        if service.tariff.service_type.code != "domain":
            return {}
        return {"registrant": PERSON, "nameservers": NAMESERVERS}

    provisioning.provide_context(provide)
    yield provide
    provisioning.CONTEXT_PROVIDERS.remove(provide)


def test_a_paid_domain_order_is_registered_by_the_worker(
    epp, registry, domain, top_up, registrant_provider
):
    service = domain("пример.рф")
    assert service.provisioning_module == "epp"
    top_up(service.billing_account, "199.00")
    report = run_due_tasks()
    assert report.done == 1, report
    service.refresh_from_db()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.DONE, task.last_error
    assert service.status == ServiceStatus.ACTIVE
    assert service.remote_id == "xn--e1afmkfd.xn--p1ai"
    assert service.access["registrant_handle"] == f"HUT-{service.pk}"
    assert service.access["nameservers"] == list(NAMESERVERS)
    today = dt.datetime.now(dt.UTC).date()
    assert service.access["expires_on"] == today.replace(year=today.year + 1).isoformat()
    registered = epp.registry.domains["xn--e1afmkfd.xn--p1ai"]
    assert (registered.sponsor, registered.registrant) == (CLID, f"HUT-{service.pk}")


def test_a_name_taken_at_the_registry_refunds_the_price_once_with_the_registrys_words(
    epp, registry, domain, top_up, registrant_provider, mailoutbox
):
    """Issue 14's Must show: a registration refused with 2302 refunds the domain's price to
    the balance, exactly once, with the reason shown and emailed (services.refusals)."""
    epp.registry.add_domain("taken.ru", OTHER)
    service = domain("taken.ru")
    top_up(service.billing_account, "199.00")
    assert balance(service.billing_account).amount == Decimal("0.00")  # the order is paid
    run_due_tasks()
    task = service.provisioning.get()
    assert (task.status, task.attempts) == (ProvisioningStatus.DONE, 1)
    assert "EPP 2302 Object exists" in task.note and PASSWORD not in task.note
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED
    assert balance(service.billing_account).amount == Decimal("199.00")  # the price is back
    run_due_tasks()  # nothing more to do, nothing refunded twice
    assert balance(service.billing_account).amount == Decimal("199.00")
    assert epp.registry.domains["taken.ru"].sponsor == OTHER  # untouched at the registry
    deliver_due()
    (letter,) = [m for m in mailoutbox if "taken.ru" in m.subject]
    assert "это имя уже зарегистрировал кто-то другой" in letter.body
    assert "2302 Object exists" in letter.body


def test_a_failing_registry_leaves_the_task_to_retry(
    epp, registry, domain, top_up, registrant_provider
):
    service = domain("example.ru")
    epp.fail_next = 2400
    top_up(service.billing_account, "199.00")
    report = run_due_tasks()
    assert report.retried == 1, report
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.PENDING and "EPP 2400" in task.last_error
