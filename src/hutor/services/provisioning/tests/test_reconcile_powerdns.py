"""Reconciliation against the real PowerDNS (issue 13's Must show): services made through order →
payment → worker, then drift made by hand through PowerDNS's API (a zone deleted, a zone
disabled, a terminated service's zone put back, a stranger's zone added); `hutor provisioning
reconcile` reports exactly those, exit code 3; `--fix` queues the calls, `hutor worker` carries
them out, and a second run reports only the stranger's zone, which is never touched."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from hutor.accounts.models import User
from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.billing.models import BillingRun, RunStatus
from hutor.catalog.models import Tariff
from hutor.servers import actions as servers
from hutor.services import lifecycle, reconcile
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service, ServiceStatus
from hutor.testing_pdns import PdnsServer

pytestmark = pytest.mark.django_db

TEMPLATE = [{"name": "@", "type": "A", "content": "{ip}", "ttl": 60}]
NAMESERVERS = ["ns1.hoster.test", "ns2.hoster.test"]


def worker() -> None:
    call_command("worker", "--once", stdout=io.StringIO())


def reconcile_command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("provisioning", "reconcile", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def drift(output: str) -> set[tuple[str, ...]]:
    """(kind, service, remote id, billing, server[, owner]) of each reported line."""
    rows = set()
    for line in output.splitlines():
        if not line.startswith("ns-api "):
            continue
        fields = line.split(" — ")[0].split()[1:]
        rows.add(tuple(f.split("=")[-1] for f in fields))
    return rows


def desk() -> Client:
    """A support member's desk session (the desk's tests log in the same way)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = User.objects.create_user(
        email="support@staff.example", password="staff-Pass-2026!", is_staff=True
    )
    StaffProfile.objects.create(user=user, role=Role.SUPPORT)
    TOTP.activate(user, generate_totp_secret())
    return desk_session(Client(), user)


def owner(service: Service) -> str:
    return f"hutor:{service.billing_account.number}:{service.pk}"


@pytest.fixture
def dns_server(pdns: PdnsServer, catalog):
    api = urlsplit(pdns.api_url)
    group = servers.add_group(code="dns", name="DNS")
    server = servers.add_server(
        name="ns-api",
        group=group,
        module="powerdns",
        host=api.hostname,
        port=api.port,
        use_tls=False,
        username="",
        password=pdns.api_key,
        settings={"nameservers": NAMESERVERS},
    )
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"template": TEMPLATE, "ip": "192.0.2.7"}
    )
    catalog.start.refresh_from_db()
    client = pdns.client()
    for zone in client.list_zones():  # the session's server: start from no zones
        client.delete_zone(zone.name)
    yield server
    for zone in client.list_zones():
        client.delete_zone(zone.name)


def test_drift_made_by_hand_is_reported_then_fixed(
    pdns, dns_server, catalog, account_factory, top_up
):
    client = pdns.client()
    account = account_factory()
    services = {}
    for domain in ("lost.test", "paused.test", "gone.test"):
        services[domain] = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier=domain
        )
        top_up(account, "199.00")
    worker()
    assert {z.name for z in client.list_zones()} == {"lost.test.", "paused.test.", "gone.test."}
    gone = services["gone.test"]
    with transaction.atomic():
        lifecycle.move(lifecycle.lock(gone.pk), "terminate", actor="staff")
    worker()
    assert client.get_zone("gone.test") is None

    # No drift yet.
    code, out, err = reconcile_command()
    assert (code, err) == (0, "") and drift(out) == set()
    assert "differences: 0" in out

    # Drift by hand: a zone deleted, a zone disabled, the terminated service's zone put back,
    # and a stranger's zone.
    lost, paused = services["lost.test"], services["paused.test"]
    client.delete_zone("lost.test")
    client.disable_zone("paused.test")
    client.create_zone(
        "gone.test",
        NAMESERVERS,
        TEMPLATE,
        account=owner(gone),
        params={"ip": "192.0.2.7"},
    )
    client.create_zone("foreign.test", ["ns1.other.test"], [], account="someone")

    code, out, err = reconcile_command()
    assert code == 3
    assert err == ""
    assert drift(out) == {
        ("missing", f"#{lost.pk}", "lost.test.", "active", "missing"),
        ("suspended_there", f"#{paused.pk}", "paused.test.", "active", "suspended", owner(paused)),
        ("leftover", f"#{gone.pk}", "gone.test.", "terminated", "active", owner(gone)),
        ("unknown", "-", "foreign.test.", "-", "active", "someone"),
    }
    assert "differences: 4" in out
    # The daily billing run reports it too, as a step that does not fail the run.
    call_command("billing", "run", stdout=io.StringIO())
    run = BillingRun.objects.latest("pk")
    assert run.status == RunStatus.DONE
    assert run.counts["reconcile"] == {"servers": 1, "drift": 4}
    # The desk's failures page lists them, with links to the services.
    page = desk().get(reverse("desk:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Drift between billing and servers" in page
    for service in (lost, paused, gone):
        assert f'href="{reverse("desk:service", args=[service.pk])}"' in page
    assert "foreign.test." in page and "on the server, unknown to billing" in page
    # Reported only: nothing queued, billing untouched.
    assert not Service.objects.filter(provisioning__status=ProvisioningStatus.PENDING).exists()

    code, out, _err = reconcile_command("--fix")
    assert code == 3
    assert "queued: create" in out and "queued: unsuspend" in out and "queued: terminate" in out
    assert "left alone" in out
    # A second --fix before the worker ran queues nothing twice.
    reconcile_command("--fix")
    pending = Service.objects.filter(provisioning__status=ProvisioningStatus.PENDING)
    assert sorted(pending.values_list("provisioning__operation", flat=True)) == [
        "create",
        "terminate",
        "unsuspend",
    ]
    worker()
    assert not client.get_zone("lost.test").suspended
    assert not client.get_zone("paused.test").suspended
    assert client.get_zone("gone.test") is None
    assert client.get_zone("foreign.test").account == "someone"  # never touched

    code, out, _err = reconcile_command()
    assert code == 3
    assert drift(out) == {("unknown", "-", "foreign.test.", "-", "active", "someone")}
    # Billing was never changed.
    statuses = dict(Service.objects.filter(billing_account=account).values_list("pk", "status"))
    assert statuses == {
        lost.pk: ServiceStatus.ACTIVE,
        paused.pk: ServiceStatus.ACTIVE,
        gone.pk: ServiceStatus.TERMINATED,
    }
    # The desk's failures page shows the last report.
    kept = reconcile.latest()
    assert [(r.server, [f.remote_id for f in r.findings]) for r in kept] == [
        ("ns-api", ["foreign.test."])
    ]


def test_a_server_that_cannot_be_listed_is_an_error(pdns, dns_server):
    servers.update_server(server=dns_server, values={}, password="wrong-key")
    code, _out, err = reconcile_command("--server", "ns-api")
    assert code == 1 and "ns-api" in err and "wrong-key" not in err
    with override_settings(HUTOR_CLI_LANGUAGE="ru"):
        code, out, err = reconcile_command()
    assert code == 1 and err.startswith("ошибка: сервер ns-api: ")
    assert "Проверено серверов: 1; расхождений: 0; ошибок: 1." in out
    # In the daily run: logged and counted (the command exits 1 as for any counted error),
    # every other step done, the run not failed.
    with pytest.raises(CommandError, match="1 error"):
        call_command("billing", "run", stdout=io.StringIO())
    run = BillingRun.objects.latest("pk")
    assert run.status == RunStatus.DONE and run.error_count == 1
    assert run.errors[0]["object"] == "server ns-api" and "wrong-key" not in str(run.errors)
    assert [r.error != "" for r in reconcile.latest()] == [True]
