"""A tariff names a server group; its new service is placed, when its create task runs, on the
least-loaded enabled server of the group; with no room the task needs attention and billing
is untouched. Credentials are stored encrypted."""

import io
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import translation

from hutor.catalog.models import Tariff
from hutor.core.secrets import MASK
from hutor.ledger.queries import balance
from hutor.servers import actions as servers
from hutor.servers.exceptions import ServerError
from hutor.services.actions import place_order, retry_task
from hutor.services.models import ProvisioningStatus, ServiceStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(catalog):
    group = servers.add_group(code="hosting-1", name="Shared hosting")
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"package": "start"}
    )
    catalog.start.refresh_from_db()
    return group


def server(group, name, capacity=10, **fields):
    fields.setdefault("module", "log")
    return servers.add_server(
        name=name,
        group=group,
        host=f"{name}.example.net",
        username="root",
        password=f"pw-of-{name}",
        capacity=capacity,
        **fields,
    )


def order_and_pay(catalog, account_factory, top_up, n=1):
    placed = []
    for i in range(n):
        account = account_factory()
        service = place_order(
            billing_account=account,
            price=catalog.price(catalog.start, 1),
            identifier=f"site{account.pk}-{i}.ru",
        )
        top_up(account, "199.00")
        service.refresh_from_db()
        assert service.status == ServiceStatus.ACTIVE
        placed.append(service)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    for service in placed:
        service.refresh_from_db()
    return placed


def test_a_new_service_goes_to_the_least_loaded_enabled_server(
    group, catalog, account_factory, top_up
):
    small = server(group, "small", capacity=2)
    big = server(group, "big", capacity=10)
    server(group, "off", capacity=100, enabled=False)
    services = order_and_pay(catalog, account_factory, top_up, n=4)
    # By the share of capacity in use: both empty (the older first), then small 1/2 > big 0/10,
    # 1/10, 2/10; the disabled one takes nothing.
    assert [s.server.name for s in services] == ["small", "big", "big", "big"]
    assert {s.provisioning_module for s in services} == {"log"}
    tasks = [s.provisioning.get() for s in services]
    assert {t.status for t in tasks} == {ProvisioningStatus.DONE}
    assert small.services.count() + big.services.count() == 4


def test_least_loaded_by_share_of_capacity(group, catalog, account_factory, top_up):
    server(group, "a", capacity=1)
    server(group, "b", capacity=3)
    services = order_and_pay(catalog, account_factory, top_up, n=4)
    names = sorted(s.server.name for s in services)
    assert names == ["a", "b", "b", "b"]  # a full server is skipped


def test_no_room_leaves_the_create_task_needing_attention_and_billing_untouched(
    group, catalog, account_factory, top_up
):
    full = server(group, "tiny", capacity=1)
    first, second = order_and_pay(catalog, account_factory, top_up, n=2)
    assert first.server == full
    with pytest.raises(ServerError):  # its services were created by "log"
        servers.update_server(server=full, values={"module": "manual"})
    assert second.server is None and second.status == ServiceStatus.ACTIVE
    assert second.paid_until is not None
    assert balance(second.billing_account).amount == Decimal("0.00")  # paid, as ordered
    task = second.provisioning.get()
    assert task.status == ProvisioningStatus.FAILED and task.attempts == 1
    assert "hosting-1" in task.last_error
    with translation.override("en"):
        assert task.get_status_display() == "Needs attention"
    # Staff raise the capacity and retry: the worker places and creates it.
    servers.update_server(server=full, values={"capacity": 2})
    retry_task(task=task)
    call_command("worker", "--once", stdout=io.StringIO())
    task.refresh_from_db()
    second.refresh_from_db()
    assert task.status == ProvisioningStatus.DONE and second.server == full


def test_a_tariff_without_a_group_stays_manual(catalog, account_factory, top_up):
    account = account_factory()
    service = place_order(
        billing_account=account, price=catalog.price(catalog.pro, 1), identifier="x.ru"
    )
    top_up(account, "499.00")
    service.refresh_from_db()
    assert service.provisioning_module == "manual" and service.server is None
    assert service.provisioning.get().status == ProvisioningStatus.TODO


def test_credentials_are_encrypted_in_the_column_and_shown_masked(group):
    s = server(group, "enc")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM servers_server WHERE id = %s", [s.pk])
        (stored,) = cursor.fetchone()
    assert "pw-of-enc" not in stored and stored.startswith("gAAAAA")  # a Fernet token
    s.refresh_from_db()
    assert str(s.password) == MASK and "pw-of-enc" not in repr(s)
    assert s.password.reveal() == "pw-of-enc"
    # Saved again for another reason, the ciphertext is kept (written only when new).
    servers.update_server(server=s, values={"capacity": 5})
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM servers_server WHERE id = %s", [s.pk])
        assert cursor.fetchone()[0] == stored
    # A blank password keeps the credential; a new one replaces it.
    assert "password" not in servers.update_server(server=s, values={"capacity": 6}, password="")
    changes = servers.update_server(server=s, values={}, password="new-pw")
    assert changes == {"password": "changed"}
    s.refresh_from_db()
    assert s.password.reveal() == "new-pw"


def test_rotation_re_encrypts_every_column(group, settings):
    s = server(group, "rot")
    old = list(settings.HUTOR_SECRETS_KEYS)
    new = Fernet.generate_key().decode()
    with override_settings(HUTOR_SECRETS_KEYS=[new, *old]):
        out = io.StringIO()
        call_command("secrets", "rotate", stdout=out)
        assert "servers.Server.password: 1" in out.getvalue()
    with override_settings(HUTOR_SECRETS_KEYS=[new]):  # the old key dropped
        s.refresh_from_db()
        assert s.password.reveal() == "pw-of-rot"
        call_command("secrets", "check", stdout=io.StringIO())
    with (
        override_settings(HUTOR_SECRETS_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(CommandError, match="1"),
    ):
        call_command("secrets", "check", stdout=io.StringIO())


def test_server_rules(group):
    translation.activate("en")
    server(group, "one")
    with pytest.raises(ServerError, match="exists"):
        server(group, "one")
    with pytest.raises(ServerError, match="nosuch"):
        server(group, "two", module="nosuch")
    with pytest.raises(ServerError, match="«log»"):
        server(group, "three", module="manual")  # the group's servers run "log"
    with pytest.raises(ServerError):
        server(group, "four", capacity=0)
    with pytest.raises(ServerError, match="Nothing to change"):
        servers.update_server(server=group.servers.get(), values={"capacity": 10})
