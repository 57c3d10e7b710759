"""Proxmox VE: one virtual machine per VPS service, a full clone of a template VM with cloud-init.

Spoken through the Proxmox VE REST API (https://HOST:8006/api2/json, API token in the
`Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` header) with proxmoxer's HTTPS backend.
The endpoints, their parameters and answers are those of the API viewer
(https://pve.proxmox.com/pve-docs/api-viewer/), generated from qemu-server's
`PVE/API2/Qemu.pm` and pve-manager's `PVE/API2/Cluster.pm`, `PVE/API2/Tasks.pm`.

A server row: host, port (blank: 8006), TLS (the API is HTTPS only), username = the token id
`USER@REALM!TOKENID`, password = the token's secret; settings (docs/provisioning.md, "Proxmox
VE") name the node, the template and how to trust the certificate. A tariff's module
parameters: `cores`, `memory` (MiB), `disk` (GiB), optionally `template` (a VMID).

A VM is ours when it is named `<name_prefix>-<service id>` (the name is given at clone time,
so a create retried after a crash finds the clone it made); it also carries the tag `hutor`
and, while billing has it suspended, the tag `suspended`. The VMID is the service's remote id;
the node is looked up on every call (`/cluster/resources`), so a migrated VM is still found.

Errors: `ProxmoxRefused` when no retry can help (the token refused, a permission missing, a
parameter rejected, a shrink asked for, no free VMID, an untrusted certificate), for staff to
act on; `ProxmoxError` for the rest (network, 5xx, a task that failed or did not finish),
which the worker retries.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from proxmoxer import ProxmoxAPI, ResourceException
from proxmoxer.tools import Tasks

from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningError,
    ProvisioningModule,
    ProvisioningRefused,
    ProvisioningResult,
    RemoteAccount,
    RemoteState,
    ServerAccess,
    SyncResult,
)

DEFAULT_PORT = 8006
OURS_TAG = "hutor"
SUSPENDED_TAG = "suspended"
GIB = 1024**3
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": GIB, "T": 1024**4}
# Server errors (HTTP 500: Proxmox VE answers 500 for any error its handler dies with) that no
# retry can cure; the rest of the 5xx are retried.
_PERMANENT_500 = ("unable to get any free VMID", "shrinking disks is not supported")


class ProxmoxError(ProvisioningError):
    """Proxmox VE could not be reached or failed (retried by the worker)."""


class ProxmoxRefused(ProxmoxError, ProvisioningRefused):
    """Proxmox VE refused the request, or the settings cannot work: staff must act, a retry
    alone will not help."""


def _positive_int(params: Mapping[str, Any], name: str, *, required: bool = True) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise ProxmoxRefused(f"the tariff's module parameters lack {name!r}")
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise ProxmoxRefused(f"the tariff's module parameter {name!r} is not a positive number")
    return number


def _size_bytes(text: str) -> int:
    """'32G', '10240M' (a disk's `size=` in its config) in bytes."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text.strip())
    if not match:
        raise ProxmoxError(f"unreadable disk size {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def _tags(text: str | None) -> list[str]:
    # pve-tag-list: tags separated by ';' (',' and spaces are accepted too).
    return [t for t in re.split(r"[;, ]+", text or "") if t]


class ProxmoxClient:
    """A few calls of the Proxmox VE API for one server, with its errors translated."""

    def __init__(self, server: ServerAccess) -> None:
        self.server = server
        self.settings = dict(server.settings or {})
        if not server.use_tls:
            raise ProxmoxRefused(f"{server.name}: the Proxmox VE API is served over HTTPS only")
        user, _, token_name = server.username.partition("!")
        if "@" not in user or not token_name or not server.password:
            raise ProxmoxRefused(
                f"{server.name}: the username must be an API token id USER@REALM!TOKENID and "
                "the password its secret"
            )
        ca_path = self.settings.get("ca_path")
        verify: bool | str = ca_path if ca_path else bool(self.settings.get("verify_tls", True))
        self.api = ProxmoxAPI(
            server.host,
            port=server.port or DEFAULT_PORT,
            user=user,
            token_name=token_name,
            token_value=server.password,
            verify_ssl=verify,
            timeout=float(self.settings.get("timeout", 30)),
        )

    def call(self, method: str, path: str, **params: Any) -> Any:
        """One request (`path` under /api2/json); its answer's `data`."""
        resource = self.api(path)
        try:
            return getattr(resource, method)(**params)
        except ResourceException as exc:
            detail = str(exc.content).strip()
            # Per-parameter errors of a 400; proxmoxer puts {"errors": body} for a bodyless one.
            if isinstance(exc.errors, dict) and exc.errors and "errors" not in exc.errors:
                detail += f" {exc.errors}"
            text = f"{self.server.name}: {method.upper()} {path}: HTTP {exc.status_code} {detail}"
            permanent = exc.status_code < 500 and exc.status_code not in (408, 429)
            permanent = permanent or any(p in detail for p in _PERMANENT_500)
            raise (ProxmoxRefused if permanent else ProxmoxError)(text) from None
        except requests.exceptions.SSLError:
            raise ProxmoxRefused(
                f"{self.server.name}: the server's TLS certificate is not trusted (set the "
                "server's ca_path setting to its CA certificate)"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise ProxmoxError(
                f"{self.server.name}: cannot reach {self.server.host}: {type(exc).__name__}"
            ) from None

    def wait(self, upid: Any, what: str) -> None:
        """Wait for a task (a UPID an asynchronous call answered) to finish successfully."""
        if not isinstance(upid, str) or not upid.startswith("UPID:"):
            return  # answered null: done synchronously
        timeout = float(self.settings.get("task_timeout", 600))
        interval = float(self.settings.get("task_poll_interval", 2))
        try:
            status = Tasks.blocking_status(self.api, upid, timeout, interval)
        except ResourceException as exc:
            raise ProxmoxError(f"{self.server.name}: {what}: task status: {exc}") from None
        except requests.exceptions.RequestException as exc:
            raise ProxmoxError(f"{self.server.name}: {what}: {type(exc).__name__}") from None
        if status is None:
            raise ProxmoxError(f"{self.server.name}: {what}: not finished after {timeout:g}s")
        exit_status = str(status.get("exitstatus", ""))
        if exit_status != "OK" and not exit_status.startswith("WARNINGS"):
            raise ProxmoxError(f"{self.server.name}: {what} failed: {exit_status}")

    def vm_path(self, vm: Mapping[str, Any], rest: str = "") -> str:
        return f"nodes/{vm['node']}/qemu/{vm['vmid']}" + (f"/{rest}" if rest else "")

    def vms(self) -> list[dict[str, Any]]:
        """Every QEMU guest of the cluster (templates included)."""
        answer = self.call("get", "cluster/resources", type="vm") or []
        return [r for r in answer if r.get("type") == "qemu"]


class ProxmoxModule(ProvisioningModule):
    """Proxmox VE: a VPS is a QEMU VM cloned from a template, sized by the tariff."""

    name = "proxmox"
    capabilities = frozenset(
        {
            "create",
            "suspend",
            "unsuspend",
            "terminate",
            "change_tariff",
            "sync",
            "list",
            "reset_password",
            "check",
        }
    )
    wants_password = True  # cloud-init's cipassword: the same one when a create is retried

    # Finding our VM.
    def _client(self, ctx: ProvisioningContext) -> ProxmoxClient:
        if ctx.server is None:
            raise ProxmoxRefused(f"service {ctx.service.pk} is on no Proxmox VE server")
        return ProxmoxClient(ctx.server)

    def _vm_name(self, client: ProxmoxClient, ctx: ProvisioningContext) -> str:
        return f"{client.settings.get('name_prefix', 'hutor')}-{ctx.service.pk}"

    def _ours(
        self, client: ProxmoxClient, ctx: ProvisioningContext, vms: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The service's VM: by its VMID once known (checking the name, so that a VMID reused
        by someone else's VM is never touched), else by its name."""
        name = self._vm_name(client, ctx)
        if ctx.remote_id:
            vm = next((v for v in vms if str(v.get("vmid")) == ctx.remote_id), None)
            if vm is not None and vm.get("name") != name:
                raise ProxmoxRefused(
                    f"{client.server.name}: VM {ctx.remote_id} is named {vm.get('name')!r}, "
                    f"not {name!r}: left alone"
                )
            return vm
        return next((v for v in vms if v.get("name") == name and not v.get("template")), None)

    def _existing(self, ctx: ProvisioningContext) -> tuple[ProxmoxClient, dict[str, Any]]:
        client = self._client(ctx)
        vm = self._ours(client, ctx, client.vms())
        if vm is None:
            raise ProxmoxRefused(
                f"{client.server.name}: no VM {ctx.remote_id or self._vm_name(client, ctx)}"
            )
        return client, vm

    # Pieces of the lifecycle.
    def _sizes(self, params: Mapping[str, Any]) -> tuple[int, int, int]:
        cores, memory, disk = (_positive_int(params, n) for n in ("cores", "memory", "disk"))
        assert cores and memory and disk
        return cores, memory, disk

    def _clone(
        self, client: ProxmoxClient, ctx: ProvisioningContext, vms: list[dict[str, Any]]
    ) -> dict[str, Any]:
        template = _positive_int(ctx.params, "template", required=False) or _positive_int(
            client.settings, "template_vmid", required=False
        )
        source = next((v for v in vms if v.get("vmid") == template and v.get("template")), None)
        if source is None:
            raise ProxmoxRefused(
                f"{client.server.name}: no template VM {template or '(none set)'}: set the "
                "tariff's 'template' parameter or the server's template_vmid setting"
            )
        newid = int(client.call("get", "cluster/nextid"))
        name = self._vm_name(client, ctx)
        options: dict[str, Any] = {
            "newid": newid,
            "name": name,
            "full": 1,
            "description": f"Hutor service {ctx.service.pk} ({ctx.service.identifier})",
        }
        for option, value in (
            ("storage", ctx.params.get("storage") or client.settings.get("storage")),
            ("pool", client.settings.get("pool")),
            ("target", client.settings.get("target_node")),
        ):
            if value:
                options[option] = value
        client.wait(client.call("post", client.vm_path(source, "clone"), **options), "clone")
        node = client.settings.get("target_node") or source["node"]
        return {"vmid": newid, "node": node, "name": name}

    def _disk(self, client: ProxmoxClient, config: Mapping[str, Any]) -> tuple[str, int]:
        key = str(client.settings.get("disk", "scsi0"))
        match = re.search(r"(?:^|,)size=([^,]+)", str(config.get(key, "")))
        if not match:
            raise ProxmoxRefused(
                f"{client.server.name}: the VM has no disk {key!r} with a size (set the "
                "server's disk setting to the template's disk)"
            )
        return key, _size_bytes(match.group(1))

    def _grow(
        self, client: ProxmoxClient, vm: Mapping[str, Any], key: str, current: int, gib: int
    ) -> None:
        if gib * GIB > current:
            upid = client.call("put", client.vm_path(vm, "resize"), disk=key, size=f"{gib}G")
            client.wait(upid, "resize")

    def _set_tags(
        self,
        client: ProxmoxClient,
        vm: Mapping[str, Any],
        config: Mapping[str, Any],
        *,
        suspended: bool,
    ) -> None:
        before = _tags(config.get("tags"))
        after = [t for t in before if t != SUSPENDED_TAG]
        after += [t for t in (OURS_TAG, SUSPENDED_TAG if suspended else "") if t and t not in after]
        if sorted(after) != sorted(before):
            client.call("put", client.vm_path(vm, "config"), tags=";".join(after))

    def _status(self, client: ProxmoxClient, vm: Mapping[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = client.call("get", client.vm_path(vm, "status/current"))
        return answer

    def _power(
        self, client: ProxmoxClient, vm: Mapping[str, Any], action: str, **options: Any
    ) -> None:
        client.wait(client.call("post", client.vm_path(vm, f"status/{action}"), **options), action)

    def _access(
        self, client: ProxmoxClient, vm: Mapping[str, Any], config: Mapping[str, Any]
    ) -> dict[str, Any]:
        access: dict[str, Any] = {
            "login": config.get("ciuser") or client.settings.get("ciuser", "admin"),
            "hostname": vm["name"],
            "vmid": vm["vmid"],
        }
        static = re.search(r"(?:^|,)ip=([0-9.]+)/", str(config.get("ipconfig0", "")))
        if static:
            access["ip"] = static.group(1)
        return access

    # The lifecycle.
    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Clone the template (unless the VM named after the service exists), size it, set
        cloud-init's user, password, keys and network, grow its disk, start it."""
        cores, memory, disk = self._sizes(ctx.params)
        client = self._client(ctx)
        vms = client.vms()
        vm = self._ours(client, ctx, vms)
        note = "VM found" if vm is not None else "VM cloned"
        if vm is None:
            vm = self._clone(client, ctx, vms)
        config = client.call("get", client.vm_path(vm, "config"))
        key, current = self._disk(client, config)
        tags = [t for t in _tags(config.get("tags")) if t != SUSPENDED_TAG]
        settings = {
            "cores": cores,
            "memory": memory,
            "ciuser": client.settings.get("ciuser", "admin"),
            "cipassword": ctx.password,
            "ipconfig0": client.settings.get("ipconfig0", "ip=dhcp"),
            "tags": ";".join(tags + ([OURS_TAG] if OURS_TAG not in tags else [])),
        }
        if client.settings.get("sshkeys"):
            # `sshkeys` is of format "urlencoded" (one OpenSSH key per line).
            settings["sshkeys"] = urllib.parse.quote(str(client.settings["sshkeys"]), safe="")
        client.call("put", client.vm_path(vm, "config"), **settings)
        self._grow(client, vm, key, current, disk)
        if self._status(client, vm).get("status") != "running":
            self._power(client, vm, "start")
        return ProvisioningResult(
            done=True,
            note=f"{note}: VM {vm['vmid']} on {vm['node']}",
            remote_id=str(vm["vmid"]),
            password=ctx.password,
            access=self._access(client, vm, {**config, **settings}),
            state=RemoteState.ACTIVE,
        )

    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Tag the VM `suspended`, then shut it down (ACPI, forced after shutdown_timeout), or
        pause it in RAM with the setting suspend_mode "pause"."""
        client, vm = self._existing(ctx)
        self._set_tags(client, vm, client.call("get", client.vm_path(vm, "config")), suspended=True)
        status = self._status(client, vm)
        if status.get("status") == "running":
            if client.settings.get("suspend_mode", "shutdown") == "pause":
                if status.get("qmpstatus") != "paused":
                    self._power(client, vm, "suspend")
            else:
                timeout = int(client.settings.get("shutdown_timeout", 60))
                self._power(client, vm, "shutdown", forceStop=1, timeout=timeout)
        return ProvisioningResult(
            done=True, note=f"VM {vm['vmid']} suspended", state=RemoteState.SUSPENDED
        )

    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Drop the `suspended` tag; resume a paused VM, start a stopped one."""
        client, vm = self._existing(ctx)
        self._set_tags(
            client, vm, client.call("get", client.vm_path(vm, "config")), suspended=False
        )
        status = self._status(client, vm)
        if status.get("status") != "running":
            self._power(client, vm, "start")
        elif status.get("qmpstatus") == "paused":
            self._power(client, vm, "resume")
        return ProvisioningResult(
            done=True, note=f"VM {vm['vmid']} running", state=RemoteState.ACTIVE
        )

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Stop the VM (hard: its data goes anyway) and destroy it with its disks, purged from
        backup, replication and HA jobs. A VM already gone is success."""
        client = self._client(ctx)
        vm = self._ours(client, ctx, client.vms())
        if vm is None:
            return ProvisioningResult(
                done=True, note="no such VM: nothing to remove", state=RemoteState.MISSING
            )
        if self._status(client, vm).get("status") == "running":
            self._power(client, vm, "stop")
        options = {"purge": 1, "destroy-unreferenced-disks": 1}
        client.wait(client.call("delete", client.vm_path(vm), **options), "destroy")
        return ProvisioningResult(
            done=True, note=f"VM {vm['vmid']} destroyed", state=RemoteState.MISSING
        )

    def change_tariff(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """The new tariff's cores and memory (hot-plugged when the VM allows it, else applied
        at its next start: Proxmox VE keeps them pending) and a bigger disk; a smaller disk is
        refused, since a disk cannot shrink."""
        cores, memory, disk = self._sizes(ctx.params)
        client, vm = self._existing(ctx)
        config = client.call("get", client.vm_path(vm, "config"))
        key, current = self._disk(client, config)
        if disk * GIB < current:
            raise ProxmoxRefused(
                f"{client.server.name}: VM {vm['vmid']}'s disk is {current / GIB:g} GiB; the "
                f"tariff {ctx.service.tariff.code} has {disk} GiB and a disk cannot shrink"
            )
        client.call("put", client.vm_path(vm, "config"), cores=cores, memory=memory)
        self._grow(client, vm, key, current, disk)
        return ProvisioningResult(
            done=True, note=f"VM {vm['vmid']}: {cores} cores, {memory} MiB, {disk} GiB"
        )

    def reset_password(self, ctx: ProvisioningContext, *, password: str) -> ProvisioningResult:
        """Set cloud-init's password and regenerate the VM's cloud-init drive; the guest takes
        it at its next boot."""
        client, vm = self._existing(ctx)
        client.call("put", client.vm_path(vm, "config"), cipassword=password)
        client.call("put", client.vm_path(vm, "cloudinit"))
        return ProvisioningResult(
            done=True, password=password, note="the new password applies at the VM's next boot"
        )

    # Asked for by staff, the panel and reconciliation.
    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        client = self._client(ctx)
        vm = self._ours(client, ctx, client.vms())
        if vm is None:
            return SyncResult(state=RemoteState.MISSING)
        status = self._status(client, vm)
        tags = _tags(status.get("tags") or vm.get("tags"))
        paused = status.get("qmpstatus") == "paused"
        suspended = SUSPENDED_TAG in tags or paused
        mib = 1024**2
        usage = {
            "power": "paused" if paused else status.get("status", ""),
            "cores": status.get("cpus"),
            "memory_mb": int(status.get("maxmem") or 0) // mib,
            "memory_used_mb": int(status.get("mem") or 0) // mib,
            "disk_size_mb": int(status.get("maxdisk") or 0) // mib,
            "uptime_s": int(status.get("uptime") or 0),
        }
        access: dict[str, Any] = {}
        if status.get("status") == "running" and status.get("agent"):
            ip = self._agent_ip(client, vm)
            if ip:
                access["ip"] = ip
        state = RemoteState.SUSPENDED if suspended else RemoteState.ACTIVE
        return SyncResult(state=state, usage=usage, access=access)

    def _agent_ip(self, client: ProxmoxClient, vm: Mapping[str, Any]) -> str:
        """The guest's first global IPv4 address as its QEMU guest agent reports it ('' when
        the agent does not answer: it is optional in the guest)."""
        try:
            answer = client.call("get", client.vm_path(vm, "agent/network-get-interfaces"))
        except ProxmoxError:
            return ""
        for interface in (answer or {}).get("result", []):
            for address in interface.get("ip-addresses", []):
                ip = str(address.get("ip-address", ""))
                if address.get("ip-address-type") == "ipv4" and not ip.startswith("127."):
                    return ip
        return ""

    def list(self, server: ServerAccess) -> Sequence[RemoteAccount]:
        """The VMs named `<name_prefix>-…` or tagged `hutor` (templates left out)."""
        client = ProxmoxClient(server)
        prefix = f"{client.settings.get('name_prefix', 'hutor')}-"
        accounts = []
        for vm in client.vms():
            tags = _tags(vm.get("tags"))
            name = str(vm.get("name", ""))
            if vm.get("template") or not (name.startswith(prefix) or OURS_TAG in tags):
                continue
            accounts.append(
                RemoteAccount(
                    remote_id=str(vm["vmid"]),
                    state=RemoteState.SUSPENDED if SUSPENDED_TAG in tags else RemoteState.ACTIVE,
                    owner=name,
                    details={k: vm.get(k) for k in ("node", "status", "maxmem", "maxdisk", "tags")},
                )
            )
        return accounts

    def check(self, server: ServerAccess) -> str:
        answer = ProxmoxClient(server).call("get", "version") or {}
        return f"Proxmox VE {answer.get('version', '?')} (release {answer.get('release', '?')})"
