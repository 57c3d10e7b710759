"""The Proxmox VE module against a fake API that answers as the API documentation shows
(pve_fake.py cites the page of each request): a VPS ordered and paid is cloned, sized and
started by the worker; then suspended, brought back, moved to a bigger tariff, given a new
password, synced, listed and destroyed, each call checked on the fake's state."""

from __future__ import annotations

import io
import urllib.parse

import pytest
from django.core.management import call_command
from django.utils import translation

from hutor.servers import actions as servers
from hutor.services.models import ProvisioningStatus
from hutor.services.provisioning import (
    NotSupported,
    ProvisioningContext,
    ProvisioningError,
    RemoteState,
    ServerAccess,
    context_for,
    get_module,
)
from hutor.services.provisioning.proxmox import ProxmoxError, ProxmoxRefused
from hutor.services.provisioning.tests.conftest import STAFF_KEY, worker

pytestmark = pytest.mark.django_db

VPS2 = {"cores": 4, "memory": 4096, "disk": 40}


def created(vps_order):
    service = vps_order()
    worker()
    service.refresh_from_db()
    task = service.provisioning.get(operation="create")
    assert task.status == ProvisioningStatus.DONE, task.last_error
    return service


def calls(pve, method=None, suffix=""):
    return [(m, p, q) for m, p, q in pve.log if (method in (None, m)) and p.endswith(suffix)]


def test_the_whole_lifecycle(pve, vps_order, pve_server):
    module = get_module("proxmox")
    service = created(vps_order)

    # Created by the worker: a full clone of template 9000, named after the service, sized by
    # the tariff, cloud-init set, disk grown from the template's 10 GiB, started.
    vmid = int(service.remote_id)
    vm = pve.vms[vmid]
    config = vm["config"]
    ((_, path, clone),) = calls(pve, "POST", "/clone")
    assert path == "/nodes/pve1/qemu/9000/clone"
    assert clone["newid"] == str(vmid) and clone["full"] == "1"
    assert config["name"] == f"hutor-{service.pk}"
    assert (config["cores"], config["memory"]) == ("2", "2048")
    assert config["scsi0"].endswith("size=20G")
    assert config["ciuser"] == "client" and config["ipconfig0"] == "ip=dhcp"
    assert vm["cipassword"] == service.password.reveal() and len(vm["cipassword"]) == 16
    assert urllib.parse.unquote(config["sshkeys"]) == STAFF_KEY  # urlencoded, as documented
    assert config["tags"] == "hutor"
    assert vm["status"] == "running"
    assert service.access == {
        "login": "client",
        "hostname": f"hutor-{service.pk}",
        "vmid": vmid,
    }

    # A create run again (a worker killed after the call) finds the VM: no second clone.
    ctx = context_for(service)
    again = module.create(ctx)
    assert again.remote_id == str(vmid) and "found" in again.note
    assert len(calls(pve, "POST", "/clone")) == 1
    assert sorted(pve.vms) == sorted([120, 9000, vmid])

    # Suspended: tagged and shut down (forced after the timeout); twice is fine.
    module.suspend(ctx)
    ((_, _, shutdown),) = calls(pve, "POST", "/status/shutdown")
    assert shutdown == {"forceStop": "1", "timeout": "60"}
    assert vm["status"] == "stopped" and config["tags"] == "hutor;suspended"
    module.suspend(ctx)
    assert len(calls(pve, "POST", "/status/shutdown")) == 1
    assert module.sync(ctx).state == RemoteState.SUSPENDED

    # Back: tag dropped, started.
    module.unsuspend(ctx)
    assert vm["status"] == "running" and config["tags"] == "hutor"

    # A bigger tariff: cores, memory, disk grown (absolute size, as the resize page allows).
    bigger = ProvisioningContext(
        service=service,
        params=VPS2,
        server=ctx.server,
        operation_params={"old_tariff_code": "vps-1"},
    )
    module.change_tariff(bigger)
    assert (config["cores"], config["memory"]) == ("4", "4096")
    assert config["scsi0"].endswith("size=40G")
    assert calls(pve, "PUT", "/resize")[-1][2] == {"disk": "scsi0", "size": "40G"}

    # A new password: set, the cloud-init drive regenerated.
    result = module.reset_password(ctx, password="N3w-pass-w0rd")
    assert vm["cipassword"] == "N3w-pass-w0rd" and vm["cloudinit_regenerated"] == 1
    assert result.password == "N3w-pass-w0rd" and "next boot" in result.note

    # No single sign-on: a customer has no Proxmox VE account.
    assert not module.supports("login_url")
    with pytest.raises(NotSupported):
        module.login_url(ctx)

    # Sync: state, usage, and the IP the guest agent reports.
    pve.guest_ip = "203.0.113.25"
    sync = module.sync(ctx)
    assert sync.state == RemoteState.ACTIVE
    assert sync.usage == {
        "power": "running",
        "cores": 4,
        "memory_mb": 4096,
        "memory_used_mb": 2048,
        "disk_size_mb": 40 * 1024,
        "uptime_s": 120,
    }
    assert sync.access == {"ip": "203.0.113.25"}

    # Reconciliation sees ours, not the template nor someone else's VM.
    listed = module.list(ctx.server)
    assert [(a.remote_id, a.state, a.owner) for a in listed] == [
        (str(vmid), RemoteState.ACTIVE, f"hutor-{service.pk}")
    ]

    # Terminated: stopped, destroyed with its disks, purged from jobs; twice is fine.
    module.terminate(ctx)
    ((_, _, destroy),) = calls(pve, "DELETE")
    assert destroy == {"purge": "1", "destroy-unreferenced-disks": "1"}
    assert vmid not in pve.vms and 120 in pve.vms
    assert module.terminate(ctx).done
    assert len(calls(pve, "DELETE")) == 1
    assert module.sync(ctx).state == RemoteState.MISSING


def test_hutor_servers_check_names_the_version(pve_server):
    out = io.StringIO()
    with translation.override("en"):
        call_command("servers", "check", "pve1", stdout=out)
    assert out.getvalue().strip() == "pve1: OK (Proxmox VE 9.0.3 (release 9.0))"


def test_a_create_while_the_server_is_down_waits_for_a_retry(pve, vps_order):
    service = vps_order()
    pve.stop()
    worker()
    task = service.provisioning.get(operation="create")
    assert (task.status, task.attempts) == (ProvisioningStatus.PENDING, 1)
    assert "pve1: cannot reach 127.0.0.1: ConnectionError" in task.last_error


def test_pause_mode_keeps_the_vm_in_ram(pve, vps_order, pve_server, pve_settings):
    servers.update_server(
        server=pve_server, values={"settings": {**pve_settings, "suspend_mode": "pause"}}
    )
    service = created(vps_order)
    vm = pve.vms[int(service.remote_id)]
    module = get_module("proxmox")
    ctx = context_for(service)
    module.suspend(ctx)
    assert (vm["status"], vm["qmpstatus"]) == ("running", "paused")
    assert module.sync(ctx).usage["power"] == "paused"
    module.unsuspend(ctx)
    assert (vm["status"], vm["qmpstatus"]) == ("running", "running")
    assert calls(pve, "POST", "/status/resume")


def test_a_smaller_disk_is_refused_and_nothing_changes(pve, vps_order):
    service = created(vps_order)
    ctx = context_for(service)
    smaller = ProvisioningContext(
        service=service, params={"cores": 1, "memory": 1024, "disk": 10}, server=ctx.server
    )
    with pytest.raises(ProxmoxRefused, match="cannot shrink"):
        get_module("proxmox").change_tariff(smaller)
    config = pve.vms[int(service.remote_id)]["config"]
    assert (config["cores"], config["scsi0"][-8:]) == ("2", "size=20G")


def test_a_permission_the_token_lacks_is_a_refusal_with_the_servers_message(pve, vps_order):
    pve.denied.add("VM.Clone")
    service = vps_order()
    worker()
    task = service.provisioning.get(operation="create")
    assert task.status != ProvisioningStatus.DONE
    assert "HTTP 403 Permission check failed (/vms/9000, VM.Clone)" in task.last_error
    service.refresh_from_db()
    with pytest.raises(ProxmoxRefused, match=r"VM\.Clone"):
        get_module("proxmox").create(context_for(service))
    assert sorted(pve.vms) == [120, 9000]


def test_no_free_vmid_is_a_refusal(pve, vps_order):
    pve.vmid_upper = 100
    service = vps_order()
    worker()
    service.refresh_from_db()
    with pytest.raises(ProxmoxRefused, match="unable to get any free VMID"):
        get_module("proxmox").create(context_for(service))


def test_a_wrong_token_is_refused(pve_server, pve_settings):
    access = ServerAccess.of(pve_server)
    wrong = ServerAccess(**{**access.__dict__, "password": "not-the-secret"})
    with pytest.raises(ProxmoxRefused, match="HTTP 401 Authentication failed!") as caught:
        get_module("proxmox").check(wrong)
    assert isinstance(caught.value, ProvisioningError)
    assert str(caught.value) == "pve1: GET version: HTTP 401 Authentication failed!"
    assert "not-the-secret" not in str(caught.value)


def test_a_stopped_server_is_an_error_to_retry_not_a_refusal(pve, pve_server):
    access = ServerAccess.of(pve_server)
    pve.stop()
    with pytest.raises(ProxmoxError) as caught:
        get_module("proxmox").check(access)
    assert not isinstance(caught.value, ProxmoxRefused)
    assert "cannot reach 127.0.0.1" in str(caught.value)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_an_untrusted_certificate_is_refused(pve_server, pve_settings):
    settings = {k: v for k, v in pve_settings.items() if k != "ca_path"}
    access = ServerAccess(**{**ServerAccess.of(pve_server).__dict__, "settings": settings})
    with pytest.raises(ProxmoxRefused, match="certificate is not trusted"):
        get_module("proxmox").check(access)
    # verify_tls false accepts the self-signed certificate (a lab; the docs advise ca_path).
    access = ServerAccess(
        **{**ServerAccess.of(pve_server).__dict__, "settings": {**settings, "verify_tls": False}}
    )
    assert get_module("proxmox").check(access).startswith("Proxmox VE 9.0.3")


def test_a_vmid_now_held_by_another_vm_is_left_alone(pve, vps_order):
    service = created(vps_order)
    vm = pve.vms[int(service.remote_id)]
    vm["config"]["name"] = "renamed-by-someone"
    module = get_module("proxmox")
    with pytest.raises(ProxmoxRefused, match="left alone"):
        module.terminate(context_for(service))
    assert int(service.remote_id) in pve.vms


def test_bad_tariff_parameters_send_nothing(pve, vps_order, pve_server):
    service = vps_order()
    ctx = ProvisioningContext(
        service=service,
        params={"cores": "two", "memory": 2048, "disk": 20},
        server=ServerAccess.of(pve_server),
    )
    with pytest.raises(ProxmoxRefused, match="'cores' is not a positive number"):
        get_module("proxmox").create(ctx)
    assert pve.log == []


def test_the_fake_answers_an_undocumented_parameter_as_proxmox_does_and_fails_the_test(
    pve, pve_server
):
    from hutor.services.provisioning.proxmox import ProxmoxClient

    client = ProxmoxClient(ServerAccess.of(pve_server))
    with pytest.raises(ProxmoxRefused) as caught:
        client.call("put", "nodes/pve1/qemu/120/config", cpus=2)
    assert "HTTP 400 Parameter verification failed." in str(caught.value)
    assert "property is not defined in schema" in str(caught.value)
    assert pve.violations == [
        "PUT config: {'cpus': 'property is not defined in schema and the schema does not "
        "allow additional properties'}"
    ]
    pve.violations.clear()  # seen: the fixture would fail the test otherwise
