"""Reconciliation's rules (services/reconcile.py) with a module whose "server" is a dict: a
suspended service missing there is created, then suspended; a domain ordered again after its
termination is not a leftover of the old service; a service with a task in flight is left to
the queue; an unknown --server is one line and exit 1. Driven through order → payment →
`hutor worker` and `hutor provisioning reconcile`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from hutor.catalog.models import Tariff
from hutor.servers import actions as servers
from hutor.services import lifecycle, provisioning
from hutor.services.actions import place_order
from hutor.services.models import Service, ServiceStatus
from hutor.services.provisioning import (
    ProvisioningModule,
    ProvisioningResult,
    RemoteAccount,
    RemoteState,
)

pytestmark = pytest.mark.django_db


class Memory(ProvisioningModule):
    """A server that is a dict: remote id → state."""

    name = "memory"
    capabilities = frozenset({"create", "suspend", "unsuspend", "terminate", "list"})
    held: dict[str, str] = {}

    def create(self, ctx):
        Memory.held.setdefault(ctx.service.identifier, RemoteState.ACTIVE)
        return ProvisioningResult(done=True, remote_id=ctx.service.identifier)

    def suspend(self, ctx):
        Memory.held[ctx.remote_id] = RemoteState.SUSPENDED
        return ProvisioningResult(done=True)

    def unsuspend(self, ctx):
        Memory.held[ctx.remote_id] = RemoteState.ACTIVE
        return ProvisioningResult(done=True)

    def terminate(self, ctx):
        Memory.held.pop(ctx.remote_id, None)
        return ProvisioningResult(done=True)

    def list(self, server):
        return [RemoteAccount(remote_id=k, state=v) for k, v in sorted(Memory.held.items())]


@pytest.fixture
def memory_server(monkeypatch, catalog):
    monkeypatch.setitem(provisioning.MODULES, "memory", Memory)
    Memory.held = {}
    group = servers.add_group(code="mem", name="Memory")
    server = servers.add_server(
        name="mem1", group=group, module="memory", host="localhost", use_tls=False
    )
    Tariff.objects.filter(pk=catalog.start.pk).update(server_group=group)
    catalog.start.refresh_from_db()
    return server


def worker() -> None:
    call_command("worker", "--once", stdout=io.StringIO())


def reconcile(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("provisioning", "reconcile", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def move(service: Service, name: str) -> None:
    with transaction.atomic():
        lifecycle.move(lifecycle.lock(service.pk), name, actor="staff")


def test_the_rules(memory_server, catalog, account_factory, top_up):
    account = account_factory()

    def order(domain: str) -> Service:
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier=domain
        )
        top_up(account, "199.00")
        worker()
        return Service.objects.get(pk=service.pk)

    paused = order("paused.test")
    move(paused, "suspend")
    old = order("again.test")
    move(old, "terminate")
    worker()
    new = order("again.test")  # the same domain ordered again: the same remote id
    assert old.remote_id == new.remote_id == "again.test"
    assert Memory.held == {"paused.test": "suspended", "again.test": "active"}
    assert reconcile()[0] == 0  # the old, terminated service is no leftover: `new` owns it

    # A suspended service whose account vanished: created again, then suspended.
    del Memory.held["paused.test"]
    code, out, _err = reconcile("--fix")
    assert code == 3
    assert f"mem1 missing #{paused.pk} paused.test billing=suspended server=missing" in out
    assert "queued: create, suspend" in out
    worker()  # one task of a service per pass, in the order queued
    worker()
    assert Memory.held["paused.test"] == "suspended"
    assert reconcile()[0] == 0
    assert Service.objects.get(pk=paused.pk).status == ServiceStatus.SUSPENDED

    # A service with a task in flight is the queue's: not reported until the task has run.
    move(new, "suspend")  # queued, not yet run: the server still has it active
    assert reconcile()[0] == 0
    worker()
    assert reconcile()[0] == 0


def test_an_unknown_server_is_one_line(memory_server):
    with pytest.raises(CommandError, match=r"^no server «nope»$") as refused:
        reconcile("--server", "nope")
    assert refused.value.returncode == 1
