"""The fake Proxmox VE API's QEMU endpoints (/nodes/{node}/qemu/{vmid}/...), each handler
citing its page of the API viewer (VIEWER + path) and its schema in qemu-server
`src/PVE/API2/Qemu.pm` (commit e6352be6, as Qemu.pm:LINE). Each gets the fake, the node, the
VMID and the request's parameters, checks them, changes the fake's state and returns `data`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hutor.services.provisioning.tests.pve_api import (
    CONFIG_SCHEMA,
    Schema,
    die,
    t_any,
    t_bool,
    t_dns_name,
    t_enum,
    t_int,
    t_positive,
    t_size,
)

if TYPE_CHECKING:
    from hutor.services.provisioning.tests.pve_fake import FakeProxmox


def _clone(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> str:
    # VIEWER/nodes/{node}/qemu/{vmid}/clone POST (Qemu.pm:4329): newid required; name
    # (dns-name), description, pool, snapname, storage, format, full, target, bwlimit.
    # Answers the task's UPID. Needs VM.Clone on /vms/{vmid}, VM.Allocate on /vms/{newid}.
    fake._check(
        "POST clone",
        p,
        {
            "newid": (True, t_positive),
            "name": (False, t_dns_name),
            "description": (False, t_any),
            "pool": (False, t_any),
            "snapname": (False, t_any),
            "storage": (False, t_any),
            "format": (False, t_enum("raw", "qcow2", "vmdk")),
            "full": (False, t_bool),
            "target": (False, t_any),
            "bwlimit": (False, t_int),
        },
    )
    source = fake._vm(node, vmid)
    fake._perm(f"/vms/{vmid}", "VM.Clone")
    newid = int(p["newid"])
    fake._perm(f"/vms/{newid}", "VM.Allocate")
    if newid in fake.vms:
        raise die(f"unable to create VM {newid}: config file already exists")
    target = p.get("target", node)
    size = re.search(r"size=(\w+)", source["config"]["scsi0"])
    clone = fake.add_vm(
        newid,
        p.get("name", f"Copy-of-VM-{source['config']['name']}"),
        disk_gib=int(size.group(1).rstrip("G")) if size else 10,
        node=target,
        tags=source["config"].get("tags", ""),
    )
    for key in ("cores", "memory", "agent", "ostype"):
        clone["config"][key] = source["config"][key]
    if "description" in p:
        clone["config"]["description"] = p["description"]
    return fake._task(node, "qmclone", vmid)


def _get_config(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> dict[str, Any]:
    # VIEWER/nodes/{node}/qemu/{vmid}/config GET (Qemu.pm:1787): the current config with its
    # digest; cipassword is shown as '**********' (Qemu.pm:1851).
    fake._check("GET config", p, {"current": (False, t_bool), "snapshot": (False, t_any)})
    config = dict(fake._vm(node, vmid)["config"])
    if "cipassword" in config:
        config["cipassword"] = "**********"
    config["digest"] = hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()
    return config


def _put_config(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> None:
    # VIEWER/nodes/{node}/qemu/{vmid}/config PUT (Qemu.pm:2718): synchronous, answers null.
    fake._check("PUT config", p, CONFIG_SCHEMA)
    vm = fake._vm(node, vmid)
    for key in [k for k in (p.pop("delete", "")).split(",") if k]:
        vm["config"].pop(key, None)
    p.pop("digest", None)
    if "cipassword" in p:
        vm["cipassword"] = p["cipassword"]
    vm["config"].update(p)
    return None


def _resize(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> str:
    # VIEWER/nodes/{node}/qemu/{vmid}/resize PUT (Qemu.pm:5939): disk, size ("+" adds, else
    # absolute), digest, skiplock; answers the task ID. "shrinking disks is not supported".
    fake._check(
        "PUT resize",
        p,
        {
            "disk": (True, t_any),
            "size": (True, t_size),
            "digest": (False, t_any),
            "skiplock": (False, t_bool),
        },
    )
    vm = fake._vm(node, vmid)
    volume = vm["config"].get(p["disk"])
    if volume is None:
        raise die(f"disk '{p['disk']}' does not exist")
    current = int(re.search(r"size=(\d+)G", volume).group(1))
    size = p["size"]
    if not size.endswith("G"):
        fake.violations.append(f"resize: the fake only knows sizes in G, got {size}")
    new = int(size.strip("+G")) + (current if size.startswith("+") else 0)
    if new < current:
        raise die("shrinking disks is not supported")
    vm["config"][p["disk"]] = re.sub(r"size=\d+G", f"size={new}G", volume)
    return fake._task(node, "resize", vmid)


def _status(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> dict[str, Any]:
    # VIEWER/nodes/{node}/qemu/{vmid}/status/current GET (Qemu.pm:3426, QemuServer.pm
    # $vmstatus_return_properties): status stopped|running; qmpstatus (QMP's run state,
    # "paused" when suspended); mem, maxmem, maxdisk, cpus, uptime, name, tags; agent.
    fake._check("GET status/current", p, {})
    vm = fake._vm(node, vmid)
    sizes = fake._sizes(vm)
    answer = {
        "vmid": int(vmid),
        "status": vm["status"],
        "qmpstatus": vm["qmpstatus"],
        "name": vm["config"]["name"],
        "cpus": sizes["maxcpu"],
        "maxmem": sizes["maxmem"],
        "mem": sizes["maxmem"] // 2 if vm["status"] == "running" else 0,
        "maxdisk": sizes["maxdisk"],
        "uptime": 120 if vm["status"] == "running" else 0,
        "ha": {"managed": 0},
    }
    if vm["config"].get("tags"):
        answer["tags"] = vm["config"]["tags"]
    if vm["config"].get("agent") == "1":
        answer["agent"] = 1
    return answer


def _power(action: str, schema: Schema) -> Callable[..., str]:
    def handler(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> str:
        fake._check(f"POST status/{action}", p, schema)
        vm = fake._vm(node, vmid)
        fake._perm(f"/vms/{vmid}", "VM.PowerMgmt")
        running = vm["status"] == "running"
        if action == "start":
            # Qemu.pm:3494 vm_start: the worker fails on a running VM.
            if running:
                return fake._task(node, "qmstart", vmid, f"VM {vmid} already running")
            vm["status"] = vm["qmpstatus"] = "running"
            return fake._task(node, "qmstart", vmid)
        if action in ("suspend", "resume") and not running:
            raise die(f"VM {vmid} not running")  # Qemu.pm:4087, Qemu.pm:4191
        if action == "suspend":
            vm["qmpstatus"] = "paused"
            return fake._task(node, "qmpause", vmid)
        if action == "resume":
            vm["qmpstatus"] = "running"
            return fake._task(node, "qmresume", vmid)
        if action == "shutdown" and vm["qmpstatus"] == "paused" and p.get("forceStop") != "1":
            raise die("VM is paused - cannot shutdown")  # Qemu.pm:3928
        vm["status"] = vm["qmpstatus"] = "stopped"
        return fake._task(node, "qm" + action, vmid)

    return handler


def _destroy(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> str:
    # VIEWER/nodes/{node}/qemu/{vmid} DELETE (Qemu.pm:2776): skiplock, purge,
    # destroy-unreferenced-disks; "VM {vmid} is running - destroy failed"; answers the UPID.
    fake._check(
        "DELETE qemu/{vmid}",
        p,
        {
            "skiplock": (False, t_bool),
            "purge": (False, t_bool),
            "destroy-unreferenced-disks": (False, t_bool),
        },
    )
    vm = fake._vm(node, vmid)
    fake._perm(f"/vms/{vmid}", "VM.Allocate")
    if vm["status"] == "running":
        raise die(f"VM {vmid} is running - destroy failed")
    del fake.vms[int(vmid)]
    return fake._task(node, "qmdestroy", vmid)


def _cloudinit(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> None:
    # VIEWER/nodes/{node}/qemu/{vmid}/cloudinit PUT (Qemu.pm:2016): "Regenerate and change
    # cloudinit config drive."; no parameters beyond node and vmid; answers null.
    fake._check("PUT cloudinit", p, {})
    fake._vm(node, vmid)["cloudinit_regenerated"] += 1
    return None


def _agent_interfaces(fake: FakeProxmox, node: str, vmid: str, p: dict[str, str]) -> Any:
    # VIEWER/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces GET (Qemu/Agent.pm
    # register_command): {"result": ...} as QEMU's guest-network-get-interfaces answers;
    # "No QEMU guest agent configured" / "QEMU guest agent is not running" (QemuServer/Agent.pm).
    fake._check("GET agent/network-get-interfaces", p, {})
    vm = fake._vm(node, vmid)
    if vm["config"].get("agent") != "1":
        raise die("No QEMU guest agent configured")
    if vm["status"] != "running" or fake.guest_ip is None:
        raise die("QEMU guest agent is not running")
    return {
        "result": [
            {
                "name": "lo",
                "hardware-address": "00:00:00:00:00:00",
                "ip-addresses": [
                    {"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8}
                ],
            },
            {
                "name": "eth0",
                "hardware-address": "bc:24:11:00:00:01",
                "ip-addresses": [
                    {"ip-address": fake.guest_ip, "ip-address-type": "ipv4", "prefix": 24},
                    {
                        "ip-address": "fe80::be24:11ff:fe00:1",
                        "ip-address-type": "ipv6",
                        "prefix": 64,
                    },
                ],
            },
        ]
    }


QEMU_ROUTES: dict[tuple[str, str], Callable[..., Any]] = {
    ("POST", "/clone"): _clone,
    ("GET", "/config"): _get_config,
    ("PUT", "/config"): _put_config,
    ("PUT", "/resize"): _resize,
    ("GET", "/status/current"): _status,
    # Qemu.pm:3494 vm_start, :3682 vm_stop, :3857 vm_shutdown, :4028 vm_suspend, :4130 vm_resume
    ("POST", "/status/start"): _power(
        "start",
        {
            "skiplock": (False, t_bool),
            "stateuri": (False, t_any),
            "migratedfrom": (False, t_any),
            "migration_type": (False, t_enum("secure", "insecure")),
            "migration_network": (False, t_any),
            "machine": (False, t_any),
            "force-cpu": (False, t_any),
            "targetstorage": (False, t_any),
            "timeout": (False, t_int),
            "with-conntrack-state": (False, t_bool),
            "nets-host-mtu": (False, t_any),
        },
    ),
    ("POST", "/status/stop"): _power(
        "stop",
        {
            "skiplock": (False, t_bool),
            "migratedfrom": (False, t_any),
            "timeout": (False, t_int),
            "keepActive": (False, t_bool),
            "overrule-shutdown": (False, t_bool),
        },
    ),
    ("POST", "/status/shutdown"): _power(
        "shutdown",
        {
            "skiplock": (False, t_bool),
            "timeout": (False, t_int),
            "forceStop": (False, t_bool),
            "keepActive": (False, t_bool),
        },
    ),
    ("POST", "/status/suspend"): _power(
        "suspend",
        {"skiplock": (False, t_bool), "todisk": (False, t_bool), "statestorage": (False, t_any)},
    ),
    ("POST", "/status/resume"): _power(
        "resume", {"skiplock": (False, t_bool), "nocheck": (False, t_bool)}
    ),
    ("DELETE", ""): _destroy,
    ("PUT", "/cloudinit"): _cloudinit,
    ("GET", "/agent/network-get-interfaces"): _agent_interfaces,
}
