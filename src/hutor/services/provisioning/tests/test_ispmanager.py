"""The ISPmanager 6 module against a local panel that answers as ISPmanager's documentation
shows (ispmanager_fake.py cites the page behind every request and answer, and fails the test
on any request the pages do not describe). ISPmanager itself cannot run here.

The service is real: ordered, paid, created by `hutor worker`; the other calls go to the
module with the context billing builds for them."""

from __future__ import annotations

import dataclasses
import io
import socket
import urllib.parse

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from hutor.catalog.models import Tariff
from hutor.core.money import Money
from hutor.invoices.models import Invoice
from hutor.ledger import queries as ledger_queries
from hutor.servers import actions as servers
from hutor.services import lifecycle
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service
from hutor.services.provisioning import (
    ProvisioningContext,
    ProvisioningError,
    RemoteState,
    ServerAccess,
    check_server,
    context_for,
    get_module,
)
from hutor.services.provisioning.ispmanager import IspmanagerRefused, login_for
from hutor.services.provisioning.tests.ispmanager_fake import ADMIN, ADMIN_PASSWORD, Running, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The module's own messages are translated; these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def panel():
    running = Running()
    yield running
    running.stop()
    assert running.fake.violations == [], "requests the documentation does not describe"


@pytest.fixture
def server(panel, catalog):
    group = servers.add_group(code="isp", name="ISPmanager")
    server = servers.add_server(
        name="isp1",
        group=group,
        module="ispmanager",
        host="127.0.0.1",
        port=panel.port,
        use_tls=False,
        username=ADMIN,
        password=ADMIN_PASSWORD,
        settings={"lang": "en"},
    )
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"preset": "start", "mail": True}
    )
    Tariff.objects.filter(pk=catalog.pro.pk).update(
        server_group=group, module_params={"preset": "pro"}
    )
    catalog.start.refresh_from_db()
    catalog.pro.refresh_from_db()
    return server


@pytest.fixture
def order(server, catalog, account_factory, top_up):
    """Order hosting for a domain and pay for it (the create task is queued)."""

    def make(domain="example.ru", tariff=None):
        account = account_factory()
        service = place_order(
            billing_account=account,
            price=catalog.price(tariff or catalog.start, 1),
            identifier=domain,
        )
        assert service.provisioning_module == "ispmanager"
        top_up(account, "199.00")
        return service

    return make


def worker():
    call_command("worker", "--once", stdout=io.StringIO())


def last_error(service, *, refused: bool = False) -> str:
    """The create task's state after a worker pass: not done, the panel's words kept; a
    refusal needs attention at once (failed), anything else is retried with backoff."""
    task = Service.objects.get(pk=service.pk).provisioning.get()
    expected = ProvisioningStatus.FAILED if refused else ProvisioningStatus.PENDING
    assert task.status == expected and task.attempts == 1
    return task.last_error


def ctx_of(service, **params) -> ProvisioningContext:
    return context_for(Service.objects.get(pk=service.pk), params)


def test_the_whole_lifecycle(panel, order, catalog):
    fake, module = panel.fake, get_module("ispmanager")
    service = order()
    worker()
    service.refresh_from_db()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.DONE, task.last_error
    login = service.remote_id
    assert login == f"example{service.pk}"
    user = fake.users[login]
    assert user.preset == "start" and user.password == service.password.reveal()
    assert user.comment == f"Hutor {service.billing_account.number} service {service.pk}"
    assert fake.webdomains == {"example.ru": login} and fake.emaildomains == {"example.ru": login}
    assert service.access == {"login": login, "panel_url": fake.url, "domain": "example.ru"}

    # A create that runs again (a worker killed after the call) finds its own user: success.
    again = module.create(ctx_of(service))
    assert again.done and again.remote_id == login and len(fake.users) == 1

    module.suspend(ctx_of(service))
    assert not fake.users[login].active
    module.suspend(ctx_of(service))  # already suspended: still success
    assert module.sync(ctx_of(service)).state == RemoteState.SUSPENDED
    assert not fake.login_with_key(login, "no such key")

    module.unsuspend(ctx_of(service))
    assert fake.users[login].active
    assert module.sync(ctx_of(service)).state == RemoteState.ACTIVE

    moved = ProvisioningContext(
        service=Service.objects.get(pk=service.pk),
        params=dict(catalog.pro.module_params),
        server=ServerAccess.of(service.server),
        operation_params={"old_tariff_code": "start"},
    )
    assert module.change_tariff(moved).done
    assert fake.users[login].preset == "pro"

    reset = module.reset_password(ctx_of(service), password="N3w-passw0rd!")
    assert reset.password == "N3w-passw0rd!" and fake.users[login].password == "N3w-passw0rd!"

    url = module.login_url(ctx_of(service))
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == fake.url
    assert query["func"] == "auth" and query["username"] == login and len(query["key"]) >= 16
    assert fake.login_with_key(login, query["key"])
    assert not fake.login_with_key(login, query["key"])  # one use

    (account,) = module.list(ServerAccess.of(service.server))
    assert (account.remote_id, account.state, account.owner) == (login, RemoteState.ACTIVE, login)
    assert account.details["preset"] == "pro"

    module.terminate(ctx_of(service))
    assert login not in fake.users and not fake.webdomains and not fake.emaildomains
    assert module.terminate(ctx_of(service)).done  # gone already: success
    assert module.sync(ctx_of(service)).state == RemoteState.MISSING
    assert module.list(ServerAccess.of(service.server)) == []
    # No call carried the credential or a password in a URL: all went as POST bodies.
    assert all(r["authinfo"] == f"{ADMIN}:{ADMIN_PASSWORD}" for r in fake.requests)


def test_suspension_and_termination_follow_billing_through_the_worker(panel, order):
    fake = panel.fake
    service = order(domain="shop.ru")
    worker()
    login = Service.objects.get(pk=service.pk).remote_id
    for transition, active in (("suspend", False), ("reactivate", True)):
        with transaction.atomic():
            locked = lifecycle.lock(service)
            lifecycle.move(locked, transition, actor="staff")
        worker()
        assert fake.users[login].active is active
    with transaction.atomic():
        lifecycle.move(lifecycle.lock(service), "terminate", actor="staff")
    worker()
    assert login not in fake.users
    statuses = Service.objects.get(pk=service.pk).provisioning.values_list("status", flat=True)
    assert set(statuses) == {ProvisioningStatus.DONE}


def test_a_login_taken_by_someone_else_is_refused_and_billing_is_untouched(panel, order):
    fake = panel.fake
    service = order(domain="taken.ru")
    login = f"taken{service.pk}"
    fake.users[login] = User(login, "Somebody", "pw", "start", "their own site")
    worker()
    task = Service.objects.get(pk=service.pk).provisioning.get()
    assert task.status != ProvisioningStatus.DONE
    assert f"«{login}»" in task.last_error  # in the worker's language
    with pytest.raises(IspmanagerRefused, match="taken by another user") as refused:
        get_module("ispmanager").create(ctx_of(service))
    assert refused.value.kind == "exists"
    assert fake.users[login].comment == "their own site"  # not touched
    service.refresh_from_db()
    assert service.status == "active" and service.remote_id == ""
    assert Invoice.objects.get(billing_account=service.billing_account).status == "paid"
    assert ledger_queries.balance(service.billing_account) == Money.zero()


def test_a_domain_on_the_panel_under_another_user_is_refused(panel, order):
    fake = panel.fake
    fake.users["other"] = User("other", "Other", "pw", "start", "")
    fake.webdomains["busy.ru"] = "other"
    service = order(domain="busy.ru")
    worker()
    assert "busy.ru" in last_error(service, refused=True)
    with pytest.raises(IspmanagerRefused, match=r"busy\.ru is on the panel under another user"):
        get_module("ispmanager").create(ctx_of(service))
    assert fake.webdomains == {"busy.ru": "other"}


def test_the_panels_limit_is_a_refusal_with_its_message(panel, order):
    panel.fake.user_limit = 0
    service = order()
    worker()
    assert "limit on the number of users" in last_error(service, refused=True)
    with pytest.raises(IspmanagerRefused, match="limit on the number of users") as refused:
        get_module("ispmanager").create(ctx_of(service))
    assert refused.value.kind == "limit"


def test_a_tariff_without_a_template_creates_nothing(panel, order, catalog):
    Tariff.objects.filter(pk=catalog.start.pk).update(module_params={})
    catalog.start.refresh_from_db()
    service = order()
    worker()
    error = last_error(service, refused=True)
    assert "ISPmanager" in error and "preset" in error
    with pytest.raises(IspmanagerRefused, match="no ISPmanager template"):
        get_module("ispmanager").create(ctx_of(service))
    assert panel.fake.users == {} and panel.fake.requests == []


def test_a_wrong_credential_is_an_error_that_never_shows_the_password(panel, order, server):
    servers.update_server(server=server, values={}, password="wrong-password")
    service = order()
    worker()
    assert "Invalid username or password" in last_error(service)  # the panel's words
    assert "wrong-password" not in last_error(service)
    with pytest.raises(ProvisioningError, match="rejected the credential") as failed:
        get_module("ispmanager").create(ctx_of(service))
    assert not isinstance(failed.value, IspmanagerRefused)  # fixed by staff, then retried
    assert "wrong-password" not in str(failed.value)
    server.refresh_from_db()
    ok, said = check_server(server)
    assert ok is False and "Invalid username or password" in said
    assert "wrong-password" not in said


def test_a_server_that_is_down_is_an_error_the_worker_retries(panel, order, server):
    service = order()
    panel.fake.down = True
    worker()
    task = Service.objects.get(pk=service.pk).provisioning.get()
    assert task.status == ProvisioningStatus.PENDING and "HTTP 503" in task.last_error
    with pytest.raises(ProvisioningError, match="HTTP 503") as failed:
        get_module("ispmanager").create(ctx_of(service))
    assert not isinstance(failed.value, IspmanagerRefused)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = dataclasses.replace(ServerAccess.of(server), port=closed.getsockname()[1])
    with pytest.raises(ProvisioningError, match="isp1: user: ") as failed:
        get_module("ispmanager").check(nowhere)
    assert not isinstance(failed.value, IspmanagerRefused)


def test_check_reaches_the_panel(panel, order, server):
    order()
    worker()
    assert check_server(server) == (True, "ISPmanager, users: 1")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("example.ru", "example{pk}"),
        ("My-Shop.COM", "myshop{pk}"),
        ("www.blog.example.ru", "blog{pk}"),
        ("2gis-fan.ru", "gisfan{pk}"),
        ("пример.рф", "u{pk}"),
        ("averyveryverylongdomainname.ru", "averyveryverylon{pk}"),
    ],
)
def test_the_login_is_derived_from_the_domain_and_the_service(order, domain, expected):
    service = order(domain=domain)
    login = login_for(ctx_of(service))
    assert login == expected.format(pk=service.pk)
    assert len(login) <= 32 and login.isascii() and login[0].isalpha() and login.islower()
