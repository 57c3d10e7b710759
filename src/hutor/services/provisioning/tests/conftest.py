"""Fixtures of the provisioning modules' tests: a fake Proxmox VE API (pve_fake.py) and a VPS
service placed on it by the real order, payment and worker."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from hutor.catalog.models import Tariff
from hutor.servers import actions as servers
from hutor.services.actions import place_order
from hutor.services.provisioning.tests.pve_fake import (
    SECRET,
    TOKEN_ID,
    FakeProxmox,
    self_signed_cert,
)

VPS1 = {"cores": 2, "memory": 2048, "disk": 20}
STAFF_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHutorTestKeyOnly staff@example.net"


@pytest.fixture
def pve_cert(tmp_path):
    return self_signed_cert(tmp_path)


@pytest.fixture
def pve(pve_cert) -> Iterator[FakeProxmox]:
    """The fake API with a cloud-init template VM 9000 on node pve1. Fails the test when Hutor
    sent anything the documentation does not allow."""
    fake = FakeProxmox(*pve_cert).start()
    fake.add_vm(9000, "debian-12-cloud", template=True, disk_gib=10)
    fake.add_vm(120, "someone-elses-vm")  # a VM Hutor must never touch
    yield fake
    fake.stop()
    assert not fake.violations, "requests outside the documented API:\n" + "\n".join(
        fake.violations
    )


@pytest.fixture
def pve_settings(pve, pve_cert):
    return {
        "template_vmid": 9000,
        "ca_path": str(pve_cert[0]),
        "task_poll_interval": 0,
        "ciuser": "client",
        "ipconfig0": "ip=dhcp",
        "sshkeys": STAFF_KEY,
    }


@pytest.fixture
def pve_server(db, pve, pve_settings, catalog):
    group = servers.add_group(code="vps-1", name="VPS")
    server = servers.add_server(
        name="pve1",
        group=group,
        module="proxmox",
        host="127.0.0.1",
        port=pve.port,
        use_tls=True,
        username=TOKEN_ID,
        password=SECRET,
        settings=pve_settings,
        capacity=10,
    )
    Tariff.objects.filter(pk=catalog.vps1.pk).update(server_group=group, module_params=VPS1)
    catalog.vps1.refresh_from_db()
    return server


def worker() -> None:
    call_command("worker", "--once", stdout=io.StringIO())


@pytest.fixture
def vps_order(pve_server, catalog, account_factory, top_up):
    """A paid VPS order (its create task queued, not yet run)."""

    def make(identifier: str = "vps1.example.com"):
        account = account_factory()
        service = place_order(
            billing_account=account, price=catalog.price(catalog.vps1, 1), identifier=identifier
        )
        assert service.provisioning_module == "proxmox"
        top_up(account, "1490.00")  # 990 a month + 500 setup
        return service

    return make
