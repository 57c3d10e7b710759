"""The "script" module against real scripts (tests/scripts/): a provider's executable run once per
call with one JSON document on stdin, answering one on stdout. Lifecycle operations are driven
as in production (an order paid, the lifecycle's transitions, `hutor worker`); the others
(sync, list, reset_password, login_url, check) are the module's own calls."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from hutor.catalog.models import Tariff
from hutor.core.secrets import MASK
from hutor.servers import actions as servers
from hutor.servers.models import Server
from hutor.services import lifecycle, provisioning
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service
from hutor.services.provisioning import NotSupported, context_for
from hutor.services.provisioning.base import RemoteState, ServerAccess
from hutor.services.provisioning.script import ScriptFailed, ScriptModule, ScriptRefused

pytestmark = pytest.mark.django_db

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def scripts(tmp_path) -> Path:
    """The scripts copied to a folder of their own (hosting.py keeps its accounts there)."""
    folder = tmp_path / "scripts"
    shutil.copytree(SCRIPTS, folder)
    return folder


@pytest.fixture
def hosting(scripts, catalog):
    """Tariff "start" provisioned by hosting.py on server "script1" (plan "basic")."""
    group = servers.add_group(code="scripted", name="Scripted hosting")
    server = servers.add_server(
        name="script1",
        group=group,
        module="script",
        host="localhost",
        username="billing",
        password="script-token",
        settings={"executable": str(scripts / "hosting.py"), "timeout": 20},
    )
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"plan": "basic"}
    )
    catalog.start.refresh_from_db()
    return server


def accounts(scripts: Path) -> dict:
    path = scripts / "accounts.json"
    return json.loads(path.read_text()) if path.exists() else {}


def worker() -> None:
    call_command("worker", "--once", stdout=io.StringIO())


def paid(catalog, account_factory, top_up, identifier: str = "romashka.ru") -> Service:
    account = account_factory()
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier=identifier
    )
    top_up(account, "199.00")
    return Service.objects.get(pk=service.pk)


def move(service: Service, transition: str) -> None:
    with transaction.atomic():
        lifecycle.move(lifecycle.lock(service), transition, actor="staff")


def set_executable(server: Server, path: Path, **extra) -> ServerAccess:
    Server.objects.filter(pk=server.pk).update(
        settings={"executable": str(path), "timeout": 1, **extra}
    )
    server.refresh_from_db()
    return ServerAccess.of(server)


def test_the_lifecycle_runs_the_providers_script(
    hosting, scripts, catalog, account_factory, top_up
):
    service = paid(catalog, account_factory, top_up)
    worker()
    service.refresh_from_db()
    login = f"u{service.pk}"
    assert service.provisioning.get().status == ProvisioningStatus.DONE
    assert service.server == hosting and service.remote_id == login
    assert service.access == {"login": login, "panel_url": "https://panel.example.net/"}
    stored = accounts(scripts)[login]
    # The script got the service, the tariff's parameters and the password generated for it.
    assert stored["domain"] == "romashka.ru" and stored["plan"] == "basic"
    assert stored["password"] == service.password.reveal() and stored["state"] == "active"
    assert stored["owner"] == service.billing_account.number

    move(service, "suspend")
    worker()
    assert accounts(scripts)[login]["state"] == "suspended"
    move(Service.objects.get(pk=service.pk), "reactivate")
    worker()
    assert accounts(scripts)[login]["state"] == "active"

    module = ScriptModule()
    ctx = context_for(Service.objects.get(pk=service.pk))
    sync = module.sync(ctx)
    assert (sync.state, sync.usage) == (RemoteState.ACTIVE, {"disk_mb": 120})
    assert module.login_url(ctx) == f"https://panel.example.net/login?user={login}"
    reset = module.reset_password(ctx, password="New-pass-2026")
    assert reset.done and reset.password == "New-pass-2026"
    assert accounts(scripts)[login]["password"] == "New-pass-2026"
    assert [(a.remote_id, a.state) for a in module.list(ctx.server)] == [(login, "active")]
    assert module.check(ctx.server) == "hosting.py 1.0"
    # A create run again (a worker killed after the script answered) finds its account.
    assert module.create(ctx).remote_id == login and len(accounts(scripts)) == 1

    move(Service.objects.get(pk=service.pk), "terminate")
    worker()
    assert accounts(scripts) == {}
    assert module.terminate(context_for(Service.objects.get(pk=service.pk))).note == "already gone"
    tasks = Service.objects.get(pk=service.pk).provisioning.order_by("pk")
    assert [(t.operation, t.status) for t in tasks] == [
        ("create", "done"),
        ("suspend", "done"),
        ("unsuspend", "done"),
        ("terminate", "done"),
    ]


def test_a_refusal_is_a_refusal_and_billing_is_untouched(
    hosting, scripts, catalog, account_factory, top_up
):
    service = paid(catalog, account_factory, top_up, identifier="taken.ru")
    worker()
    task = service.provisioning.get()
    assert "domain taken.ru is hosted by another customer" in task.last_error
    assert (task.status, task.attempts) == (ProvisioningStatus.FAILED, 1)  # no retry helps
    service.refresh_from_db()
    assert service.status == "active" and accounts(scripts) == {}
    with pytest.raises(ScriptRefused, match="hosted by another customer"):
        ScriptModule().create(context_for(service))


def test_failures_in_passing_are_retried_and_never_show_a_secret(
    hosting, scripts, catalog, account_factory, top_up
):
    service = paid(catalog, account_factory, top_up)
    worker()  # placed on script1 and created
    module = ScriptModule()
    broken = set_executable(hosting, scripts / "broken.sh")
    ctx = context_for(Service.objects.get(pk=service.pk))
    with pytest.raises(ScriptFailed) as failed:
        module.create(ctx)
    message = str(failed.value)
    # The script echoed its input to stderr: the credential and the password are masked.
    assert "exit status 2" in message and "panel unreachable" in message
    assert "script-token" not in message and MASK in message
    assert ctx.password not in message
    assert broken.password == "script-token"

    set_executable(hosting, scripts / "slow.sh")
    with pytest.raises(ScriptFailed, match="no answer within 1 s"):
        module.suspend(context_for(Service.objects.get(pk=service.pk)))

    set_executable(hosting, scripts / "busy.sh")
    with pytest.raises(ScriptFailed, match="panel busy, try later"):
        module.create(context_for(Service.objects.get(pk=service.pk)))


def test_what_a_script_does_not_do(hosting, scripts, catalog, account_factory, top_up):
    access = set_executable(hosting, scripts / "dns-only.sh")
    service = paid(catalog, account_factory, top_up)
    worker()
    service.refresh_from_db()
    assert service.remote_id == "zone-1"
    module = ScriptModule()
    ctx = context_for(service)
    # A lifecycle operation it does not do is done with nothing to do; others are refused.
    assert "not supported" in module.suspend(ctx).note
    with pytest.raises(NotSupported):
        module.sync(ctx)
    with pytest.raises(NotSupported):
        module.list(access)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"executable": "hosting.py"}, "must be an absolute path"),
        ({"executable": "/nonexistent/hosting.sh"}, "is not an executable file"),
        ({}, "must be an absolute path"),
    ],
)
def test_a_misconfigured_server_is_refused_clearly(hosting, settings, message):
    Server.objects.filter(pk=hosting.pk).update(settings=settings)
    hosting.refresh_from_db()
    with pytest.raises(ScriptRefused, match=message):
        ScriptModule().check(ServerAccess.of(hosting))


def test_the_module_is_registered_and_checks_its_server(hosting):
    assert provisioning.MODULES["script"] is ScriptModule
    out = io.StringIO()
    call_command("servers", "check", "script1", stdout=out)
    assert "hosting.py 1.0" in out.getvalue()
