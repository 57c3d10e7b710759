"""The provisioning contract (services/provisioning/base.py): declared capabilities, the
context a call gets (service, tariff's module parameters, server with its credential), and
what billing keeps of a result. Driven as in production: an order paid, `hutor worker`."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection

from hutor.catalog.models import Tariff
from hutor.core.secrets import MASK
from hutor.servers import actions as servers
from hutor.services import lifecycle, provisioning
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service
from hutor.services.provisioning import (
    ProvisioningContext,
    ProvisioningError,
    ProvisioningModule,
    ProvisioningResult,
)

pytestmark = pytest.mark.django_db


class Recording(ProvisioningModule):
    """Answers like a control panel would, and remembers each context it was given."""

    name = "recording"
    capabilities = frozenset({"create", "suspend"})
    wants_password = True
    calls: list[tuple[str, ProvisioningContext]] = []
    fail_creates = 0

    def create(self, ctx):
        Recording.calls.append(("create", ctx))
        if Recording.fail_creates:
            Recording.fail_creates -= 1
            raise ProvisioningError("panel timed out")
        return ProvisioningResult(
            done=True,
            note="account created",
            remote_id=f"u{ctx.service.pk}",
            access={"login": f"u{ctx.service.pk}", "panel_url": "https://panel.example.net"},
        )

    def suspend(self, ctx):
        Recording.calls.append(("suspend", ctx))
        return ProvisioningResult(done=True, note="suspended")


@pytest.fixture
def recording(monkeypatch):
    monkeypatch.setitem(provisioning.MODULES, "recording", Recording)
    Recording.calls = []
    Recording.fail_creates = 0
    return Recording


@pytest.fixture
def paid_service(recording, catalog, account_factory, top_up):
    group = servers.add_group(code="panel", name="Panel")
    servers.add_server(
        name="panel1",
        group=group,
        module="recording",
        host="panel1.example.net",
        port=2087,
        username="root",
        password="whm-api-token",
        settings={"nameservers": ["ns1.example.net"]},
    )
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"package": "start_pkg"}
    )
    catalog.start.refresh_from_db()

    def make():
        account = account_factory()
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="a.ru"
        )
        assert service.provisioning_module == "recording"
        top_up(account, "199.00")
        return service

    return make


def worker():
    call_command("worker", "--once", stdout=io.StringIO())


def test_a_call_gets_the_tariffs_parameters_and_the_server_with_its_credential(
    recording, paid_service
):
    service = paid_service()
    worker()
    (what, ctx), *_ = recording.calls
    assert what == "create"
    assert ctx.params == {"package": "start_pkg"}
    assert ctx.server.password == "whm-api-token" and ctx.server.username == "root"
    assert ctx.server.base_url(2087) == "https://panel1.example.net:2087"
    assert ctx.server.settings == {"nameservers": ["ns1.example.net"]}
    assert "whm-api-token" not in repr(ctx.server) and "whm-api-token" not in repr(ctx)
    assert len(ctx.password) == 16  # generated before the call (wants_password)
    service.refresh_from_db()
    assert service.remote_id == f"u{service.pk}"
    assert service.access == {"login": f"u{service.pk}", "panel_url": "https://panel.example.net"}
    assert service.password.reveal() == ctx.password and str(service.password) == MASK
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM services_service WHERE id = %s", [service.pk])
        assert ctx.password not in cursor.fetchone()[0]


def test_a_retried_create_sets_the_same_password(recording, paid_service, time_machine):
    recording.fail_creates = 1
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False)
    service = paid_service()
    worker()
    task = service.provisioning.get()
    task.refresh_from_db()
    assert task.status == ProvisioningStatus.PENDING and "panel timed out" in task.last_error
    time_machine.shift(120)  # past the first backoff
    worker()
    task.refresh_from_db()
    assert task.status == ProvisioningStatus.DONE
    first, second = (ctx.password for what, ctx in recording.calls)
    assert first == second


def test_an_operation_the_module_does_not_declare_is_done_with_nothing_to_do(
    recording, paid_service
):
    from django.db import transaction

    service = paid_service()
    worker()
    with transaction.atomic():
        locked = lifecycle.lock(service)
        lifecycle.move(locked, "suspend", actor="staff")
        locked.refresh_from_db()
        lifecycle.move(locked, "reactivate", actor="staff")
    worker()
    worker()  # one pass each: the unsuspend waits for the suspend queued before it
    suspend, unsuspend = Service.objects.get(pk=service.pk).provisioning.order_by("pk")[1:]
    assert (suspend.status, suspend.note) == ("done", "suspended")
    assert unsuspend.status == "done" and "not supported" in unsuspend.note
    assert [what for what, _ctx in recording.calls] == ["create", "suspend"]


def test_capabilities_are_declared_and_implemented():
    assert Recording.supports("create") and not Recording.supports("sync")
    with pytest.raises(TypeError, match="unknown capabilities"):
        type("Bad", (ProvisioningModule,), {"name": "bad", "capabilities": frozenset({"fly"})})
    with pytest.raises(TypeError, match="does not implement"):
        type("Lazy", (ProvisioningModule,), {"name": "lazy", "capabilities": frozenset({"sync"})})
    with pytest.raises(provisioning.NotSupported):
        Recording().login_url(None)
