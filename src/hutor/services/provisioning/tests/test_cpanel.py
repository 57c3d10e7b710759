"""The cPanel/WHM module against a local WHM API 1 server that answers as the official docs show
(whm_fake.py: every handler cites its page, every request is checked against the documented
parameters). Contexts are built from real rows: an order placed and paid, its service placed
on a server added through servers.actions, as the worker does."""

from __future__ import annotations

import io
import socket
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from hutor.catalog.models import Tariff
from hutor.ledger.queries import balance
from hutor.servers import actions as servers
from hutor.services import placement
from hutor.services.actions import place_order
from hutor.services.identifiers import ascii_form
from hutor.services.models import ProvisioningStatus, ServiceStatus
from hutor.services.provisioning import (
    ProvisioningContext,
    ProvisioningError,
    RemoteState,
    ServerAccess,
    context_for,
    get_module,
)
from hutor.services.provisioning.cpanel import CpanelRefused, username_for
from hutor.services.provisioning.tests.whm_fake import FakeWhm, Serving

pytestmark = pytest.mark.django_db

TOKEN = "U7HMR63FHY282DQZ4H8D4FZ6I4XS1K5Q"  # the shape of a WHM API token


@pytest.fixture
def whm(tmp_path):
    fake = FakeWhm(user="root", token=TOKEN, packages={"start_pkg", "pro_pkg"})
    serving = Serving(fake, tmp_path)
    yield serving
    serving.stop()
    assert fake.violations == [], "requests outside the documented API"


@pytest.fixture
def hosting(catalog, whm):
    group = servers.add_group(code="cpanel-1", name="cPanel")
    server = servers.add_server(
        name="whm1",
        group=group,
        module="cpanel",
        host="127.0.0.1",
        port=whm.port,
        username="root",
        password=TOKEN,
        settings={"ca_file": str(whm.cert), "nameservers": ["ns1.hosting.example"]},
    )
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"package": "start_pkg"}
    )
    Tariff.objects.filter(pk=catalog.pro.pk).update(
        server_group=group, module_params={"package": "pro_pkg"}
    )
    catalog.start.refresh_from_db()
    catalog.pro.refresh_from_db()
    return server


@pytest.fixture
def ordered(hosting, catalog, account_factory, top_up):
    """A paid hosting order, placed on the server with its password kept (as the worker does
    before calling create)."""

    def make(domain="shop-example.ru", **account):
        customer = account_factory(**account)
        service = place_order(
            billing_account=customer, price=catalog.price(catalog.start, 1), identifier=domain
        )
        top_up(customer, "199.00")
        service = placement.place(service=service)
        placement.ensure_password(service=service)
        return service

    return make


def record(service, result):
    placement.record_result(
        service=service, remote_id=result.remote_id, password=result.password, access=result.access
    )


def test_the_whole_lifecycle_against_the_documented_api(ordered, whm, catalog):
    module = get_module("cpanel")
    service = ordered(email="owner@example.org")
    fake = whm.fake
    user = username_for(service.pk, "shop-example.ru")

    result = module.create(context_for(service))
    record(service, result)
    account = fake.accounts[user]
    assert (result.done, result.remote_id, result.state) == (True, user, RemoteState.ACTIVE)
    assert account.domain == "shop-example.ru" and account.plan == "start_pkg"
    assert account.email == service.billing_account.contact_email
    assert account.password == service.password.reveal()  # the generated one, kept encrypted
    assert service.access["login"] == user
    assert service.access["panel_url"] == "https://127.0.0.1:2083/"
    # The nameservers createacct reported win over the server's setting.
    assert service.access["nameservers"] == ["ns1.example.com", "ns2.example.com"]
    create_call = next(p for f, p in fake.calls if f == "createacct")
    assert create_call["showpass"] == "n"

    # A retried create (its answer lost) finds the account: success, nothing created twice.
    again = module.create(context_for(service))
    assert again.done and again.remote_id == user and len(fake.accounts) == 1
    assert [f for f, _p in fake.calls].count("createacct") == 1

    module.suspend(context_for(service))
    assert account.suspended and account.reason == "Suspended by billing"
    assert module.suspend(context_for(service)).done  # suspending a suspended one
    assert module.sync(context_for(service)).state == RemoteState.SUSPENDED
    with pytest.raises(CpanelRefused, match="suspended account"):  # WHM's documented limit
        module.reset_password(context_for(service), password="N3wPassw0rdXyz")

    module.unsuspend(context_for(service))
    assert not account.suspended
    assert module.unsuspend(context_for(service)).done

    # The service moved to the Pro tariff: its plan follows.
    pro = ProvisioningContext(
        service=service,
        params=catalog.pro.module_params,
        server=ServerAccess.of(hosting_server(service)),
        operation_params={"old_tariff_code": "start"},
    )
    assert module.change_tariff(pro).done and account.plan == "pro_pkg"

    changed = module.reset_password(context_for(service), password="N3wPassw0rdXyz")
    assert changed.done and account.password == "N3wPassw0rdXyz"

    url = module.login_url(context_for(service))
    assert url.startswith("https://127.0.0.1:2083/cpsess") and f"session={user}:" in url
    session_call = [p for f, p in fake.calls if f == "create_user_session"][-1]
    assert session_call == {"user": user, "service": "cpaneld"}

    synced = module.sync(context_for(service))
    assert synced.state == RemoteState.ACTIVE
    assert synced.usage == {"disk_mb": 14, "disk_limit_mb": None, "plan": "pro_pkg"}
    assert synced.access["ip"] == "192.0.2.10"

    (listed,) = module.list(ServerAccess.of(hosting_server(service)))
    assert (listed.remote_id, listed.state) == (user, RemoteState.ACTIVE)
    assert listed.owner == service.billing_account.contact_email
    assert listed.details["domain"] == "shop-example.ru"

    assert module.terminate(context_for(service)).done and fake.accounts == {}
    assert module.terminate(context_for(service)).state == RemoteState.MISSING  # again: fine
    assert module.sync(context_for(service)).state == RemoteState.MISSING
    assert module.check(ServerAccess.of(hosting_server(service))) == "cPanel & WHM 11.130.0.5"


def hosting_server(service):
    service.refresh_from_db()
    return service.server


def test_a_repeated_suspension_the_server_refuses_is_still_success(ordered, whm):
    whm.fake.repeat_refused = True
    module = get_module("cpanel")
    service = ordered()
    record(service, module.create(context_for(service)))
    module.suspend(context_for(service))
    assert module.suspend(context_for(service)).state == RemoteState.SUSPENDED
    module.unsuspend(context_for(service))
    assert module.unsuspend(context_for(service)).state == RemoteState.ACTIVE
    refusals = [f for f, _p in whm.fake.calls].count("listaccts")
    assert refusals >= 3  # each refusal looked the account up before calling it success


def test_a_domain_taken_on_the_server_is_a_refusal_with_its_reason(ordered, whm):
    from hutor.services.provisioning.tests.whm_fake import Account

    whm.fake.accounts["other"] = Account(
        user="other",
        domain="shop-example.ru",
        email="x@example.net",
        plan="start_pkg",
        password="x",
    )
    service = ordered()
    with pytest.raises(CpanelRefused, match="already exists in the userdata"):
        get_module("cpanel").create(context_for(service))
    assert set(whm.fake.accounts) == {"other"}


def test_a_username_taken_by_another_domain_is_refused_without_creating(ordered, whm):
    from hutor.services.provisioning.tests.whm_fake import Account

    service = ordered()
    user = username_for(service.pk, service.identifier)
    whm.fake.accounts[user] = Account(
        user=user,
        domain="someone-else.com",
        email="x@example.net",
        plan="start_pkg",
        password="x",
    )
    with pytest.raises(CpanelRefused, match=r"taken by an account of 'someone-else\.com'"):
        get_module("cpanel").create(context_for(service))
    assert "createacct" not in [f for f, _p in whm.fake.calls]


def test_no_create_without_the_kept_password(hosting, whm, catalog, account_factory):
    customer = account_factory()
    service = place_order(
        billing_account=customer, price=catalog.price(catalog.start, 1), identifier="b-site.ru"
    )
    service = placement.place(service=service)  # placed, but its password not kept yet
    with pytest.raises(ProvisioningError, match="no password"):
        get_module("cpanel").create(context_for(service))
    assert whm.fake.calls == []


def test_an_account_limit_reached_is_a_refusal(ordered, whm):
    whm.fake.max_accounts = 0
    with pytest.raises(CpanelRefused, match="maximum number of accounts"):
        get_module("cpanel").create(context_for(ordered()))


def test_a_bad_token_is_an_error_to_retry_and_never_shows_the_token(ordered, whm, hosting):
    servers.update_server(server=hosting, values={}, password="WRONGTOKEN1234567890")
    service = ordered()
    with pytest.raises(ProvisioningError) as caught:
        get_module("cpanel").create(context_for(service))
    assert not isinstance(caught.value, CpanelRefused)
    assert "rejected the API token" in str(caught.value) and "HTTP 403" in str(caught.value)
    assert "WRONGTOKEN" not in str(caught.value) and TOKEN not in str(caught.value)
    assert service.password.reveal() not in str(caught.value)


def test_a_server_down_or_failing_is_an_error_to_retry(ordered, whm, hosting):
    service = ordered()
    whm.fake.http_status = 503
    with pytest.raises(ProvisioningError) as caught:
        get_module("cpanel").create(context_for(service))
    assert not isinstance(caught.value, CpanelRefused) and "HTTP 503" in str(caught.value)

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    servers.update_server(server=hosting, values={"port": closed})
    service.refresh_from_db()
    with pytest.raises(ProvisioningError) as caught:
        get_module("cpanel").create(context_for(service))
    assert not isinstance(caught.value, CpanelRefused) and "whm1 listaccts" in str(caught.value)


def test_an_unverified_certificate_is_not_trusted(ordered, whm, hosting):
    servers.update_server(server=hosting, values={"settings": {}})
    with pytest.raises(ProvisioningError, match="CERTIFICATE_VERIFY_FAILED"):
        get_module("cpanel").create(context_for(ordered()))
    assert whm.fake.calls == []


def test_a_paid_order_is_created_by_the_worker(ordered, whm, catalog, account_factory, top_up):
    customer = account_factory()
    service = place_order(
        billing_account=customer, price=catalog.price(catalog.start, 1), identifier="шоп.рф"
    )
    top_up(customer, "199.00")
    call_command("worker", "--once", stdout=io.StringIO())
    service.refresh_from_db()
    task = service.provisioning.get()
    assert task.status == ProvisioningStatus.DONE, task.last_error
    user = username_for(service.pk, "шоп.рф")
    assert not user.startswith("xn") and service.remote_id == user
    assert whm.fake.accounts[user].domain == ascii_form("шоп.рф")  # punycode, as DNS knows it
    assert whm.fake.accounts[user].domain.startswith("xn--")
    assert whm.fake.accounts[user].password == service.password.reveal()
    assert service.access["login"] == user


def test_a_refused_create_leaves_billing_untouched(whm, hosting, catalog, account_factory, top_up):
    whm.fake.max_accounts = 0
    customer = account_factory()
    service = place_order(
        billing_account=customer, price=catalog.price(catalog.start, 1), identifier="a-site.ru"
    )
    top_up(customer, "199.00")
    call_command("worker", "--once", stdout=io.StringIO())
    service.refresh_from_db()
    task = service.provisioning.get()
    # A refusal: it needs attention at once (no retry helps), with WHM's reason.
    assert (task.status, task.attempts) == (ProvisioningStatus.FAILED, 1)
    assert "maximum number of accounts" in task.last_error
    assert service.status == ServiceStatus.ACTIVE and not service.remote_id
    assert balance(customer).amount == Decimal("0.00")  # paid, as ordered; nothing refunded


@given(
    pk=st.integers(min_value=1, max_value=36**5 - 1),
    domain=st.sampled_from(
        ["example.com", "test.ru", "1.ru", "шоп.рф", "a-b.example.org", "testtest.com", "x.io"]
    ),
)
def test_usernames_follow_cpanels_rules(pk, domain):
    name = username_for(pk, domain)
    assert 1 <= len(name) <= 16 and name.isalnum() and name.islower()
    assert name[0].isalpha() and not name.startswith("test")
    assert username_for(pk, domain) == name  # deterministic
    other = username_for(pk + 1 if pk + 1 < 36**5 else pk - 1, domain)
    assert other[:8] != name[:8]  # the first eight characters tell accounts apart
