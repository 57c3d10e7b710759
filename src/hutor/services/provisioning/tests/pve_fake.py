"""A Proxmox VE API for the tests: HTTPS on 127.0.0.1, answering as the documentation shows.

Every endpoint, parameter and answer below is taken from the API viewer
(https://pve.proxmox.com/pve-docs/api-viewer/index.html, cited per handler as VIEWER + path),
which Proxmox generates from the schemas in the source: qemu-server `src/PVE/API2/Qemu.pm`
(commit e6352be6, cited as Qemu.pm:LINE), pve-manager `PVE/API2/Cluster.pm`, `PVE/API2/Tasks.pm`,
`PVE/API2.pm`, `PVE/HTTPServer.pm` (commit 14a22df3). The wire format (`{"data": ...}`; an error
as the HTTP status line's message, with `{"data": null, "message": ..., "errors": {...}}`) is
https://pve.proxmox.com/wiki/Proxmox_VE_API ("JSON and JSON Schema", "Authentication") and
pve-http-server `src/PVE/APIServer/Formatter/Standard.pm` (`prepare_response_data`).

The fake CHECKS each request against the documented parameters: an unknown parameter, a
missing one or a badly typed one is answered as Proxmox VE answers it (400 "Parameter
verification failed." with the errors per parameter, since every one of these schemas says
`additionalProperties => 0`) AND recorded in `violations`, which the tests' fixture turns into
a failure. Of the VM configuration options (hundreds), the fake knows the few Hutor sets; any
other is recorded as a violation too (a limit of the fake, not of Proxmox VE).

State is kept (VMs, their config, power state, tasks), and every task finishes at once.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hutor.services.provisioning.tests import tls
from hutor.services.provisioning.tests.pve_api import (
    GIB,
    SECRET,
    TOKEN_ID,
    Fail,
    Schema,
    die,
    param_fail,
    t_enum,
    t_positive,
)
from hutor.services.provisioning.tests.pve_qemu import QEMU_ROUTES

__all__ = ["SECRET", "TOKEN_ID", "FakeProxmox", "self_signed_cert"]


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (what pveproxy serves by default is self-signed too)."""
    return tls.self_signed_cert(directory, "pve1.test")


class FakeProxmox:
    """The API of a one-node cluster ("pve1"); `vms` by VMID, each a dict with its `config`."""

    def __init__(self, cert_file: Path, key_file: Path) -> None:
        self.vms: dict[int, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.violations: list[str] = []
        self.denied: set[str] = set()  # privileges the token lacks ("VM.Clone")
        self.vmid_upper = 1_000_000  # datacenter.cfg next-id upper bound
        self.guest_ip: str | None = None  # what the guest agent reports, None: not running
        self.lock = threading.Lock()
        self._pid = 4000
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def t_any(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = t_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FakeProxmox:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_vm(
        self,
        vmid: int,
        name: str,
        *,
        template: bool = False,
        disk_gib: int = 10,
        tags: str = "",
        node: str = "pve1",
    ) -> dict[str, Any]:
        config: dict[str, Any] = {
            "name": name,
            "cores": 1,
            "memory": "1024",
            "ostype": "l26",
            "agent": "1",
            "scsihw": "virtio-scsi-single",
            "scsi0": f"local-lvm:{'base' if template else 'vm'}-{vmid}-disk-0,size={disk_gib}G",
            "ide2": f"local-lvm:vm-{vmid}-cloudinit,media=cdrom",
            "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
        }
        if tags:
            config["tags"] = tags
        if template:
            config["template"] = 1
        vm = {
            "vmid": vmid,
            "node": node,
            "config": config,
            "status": "stopped",
            "qmpstatus": "stopped",
            "cipassword": None,
            "cloudinit_regenerated": 0,
        }
        self.vms[vmid] = vm
        return vm

    # The HTTP side.
    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        method = req.command
        url = urllib.parse.urlsplit(req.path)
        path = urllib.parse.unquote(url.path)
        body = b""
        if int(req.headers.get("Content-Length") or 0):
            body = req.rfile.read(int(req.headers["Content-Length"]))
        raw = url.query if method in ("GET", "DELETE") else body.decode()
        params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        try:
            # The header: "Authorization: PVEAPIToken=USER@REALM!TOKENID=UUID"
            # (https://pve.proxmox.com/pve-docs/pve-admin-guide.html#pveum_tokens, "API
            # Tokens"). PVE/HTTPServer.pm auth_handler: a token that does not verify is
            # "Authentication failed!" (HTTP 401, no body; pve-http-server AnyEvent.pm).
            if req.headers.get("Authorization") != f"PVEAPIToken={TOKEN_ID}={SECRET}":
                raise Fail(401, "Authentication failed!")
            if not path.startswith("/api2/json/"):
                raise self._violation(f"{method} {path}: not under /api2/json")
            with self.lock:
                self.log.append((method, path[len("/api2/json") :], params))
                data = self._route(method, path[len("/api2/json") :], params)
            status, message, payload = 200, "OK", {"data": data}
        except Fail as fail:
            status, message = fail.status, fail.message
            payload = {"data": None, "message": f"{fail.message}\n"}
            if fail.errors:
                payload["errors"] = fail.errors
            if status == 401:
                payload = None
        content = b"" if payload is None else json.dumps(payload).encode()
        req.send_response(status, message)
        req.send_header("Content-Type", "application/json;charset=UTF-8")
        req.send_header("Content-Length", str(len(content)))
        req.end_headers()
        req.wfile.write(content)

    def _violation(self, text: str) -> Fail:
        self.violations.append(text)
        # AnyEvent.pm: a path no handler serves is 501 "Method '...' not implemented".
        return Fail(501, text)

    def _check(self, where: str, params: dict[str, str], schema: Schema) -> None:
        """pve-common JSONSchema validate() with additionalProperties => 0."""
        errors: dict[str, str] = {}
        for name, value in params.items():
            if name not in schema:
                errors[name] = (
                    "property is not defined in schema and the schema does not allow "
                    "additional properties"
                )
            elif not schema[name][1](value):
                errors[name] = f"value does not match the documented type: {value!r}"
        for name, (required, _check) in schema.items():
            if required and name not in params:
                errors[name] = "property is missing and it is not optional"
        if errors:
            self.violations.append(f"{where}: {errors}")
            raise param_fail(errors)

    def _perm(self, path: str, privilege: str) -> None:
        # PVE::RPCEnvironment check(): HTTP 403 "Permission check failed (PATH, PRIV)".
        if privilege in self.denied:
            raise Fail(403, f"Permission check failed ({path}, {privilege})")

    def _vm(self, node: str, vmid: str) -> dict[str, Any]:
        # PVE::AbstractConfig load_config: the config lives under its node.
        vm = self.vms.get(int(vmid))
        if vm is None or vm["node"] != node:
            raise die(f"Configuration file 'nodes/{node}/qemu-server/{vmid}.conf' does not exist")
        return vm

    def _task(self, node: str, kind: str, vmid: Any, exitstatus: str = "OK") -> str:
        """A worker task, finished at once. UPID layout: pve-common PVE/Tools.pm upid_encode."""
        self._pid += 1
        now = int(dt.datetime.now(dt.UTC).timestamp())
        upid = (
            f"UPID:{node}:{self._pid:08X}:{self._pid * 7:08X}:{now:08X}:{kind}:{vmid}:{TOKEN_ID}:"
        )
        self.tasks[upid] = {
            "node": node,
            "type": kind,
            "id": str(vmid),
            "exitstatus": exitstatus,
            "pid": self._pid,
            "pstart": self._pid * 7,
            "starttime": now,
        }
        return upid

    def _route(self, method: str, path: str, p: dict[str, str]) -> Any:
        if (method, path) == ("GET", "/version"):
            # VIEWER/version GET (PVE/API2.pm 'version'): version, release, repoid.
            self._check("GET /version", p, {})
            return {"version": "9.0.3", "release": "9.0", "repoid": "5d4fa2b1"}
        if (method, path) == ("GET", "/cluster/nextid"):
            return self.next_id(p)
        if (method, path) == ("GET", "/cluster/resources"):
            return self.resources(p)
        m = re.fullmatch(r"/nodes/([^/]+)/tasks/([^/]+)/status", path)
        if m and method == "GET":
            return self.task_status(m.group(1), m.group(2), p)
        m = re.fullmatch(r"/nodes/([^/]+)/qemu/(\d+)(/.*)?", path)
        if m and m.group(1) != "pve1":
            raise self._violation(f"{method} {path}: no node {m.group(1)!r} in this cluster")
        if m:
            handler = QEMU_ROUTES.get((method, m.group(3) or ""))
            if handler:
                return handler(self, m.group(1), m.group(2), p)
        raise self._violation(f"Method '{method} {path}' not implemented")

    # VIEWER/cluster/nextid GET (Cluster.pm 'nextid'): the next free VMID, an integer; with
    # datacenter.cfg's next-id range exhausted, "unable to get any free VMID in range".
    def next_id(self, p: dict[str, str]) -> int:
        self._check("GET /cluster/nextid", p, {"vmid": (False, t_positive)})
        for vmid in range(100, self.vmid_upper):
            if vmid not in self.vms:
                return vmid
        raise die(f"unable to get any free VMID in range [100, {self.vmid_upper}]")

    # VIEWER/cluster/resources GET (Cluster.pm 'resources'): type in vm, storage, node, sdn;
    # a guest is {id "qemu/VMID", type "qemu", vmid, node, name, status, template, tags, ...}.
    def resources(self, p: dict[str, str]) -> list[dict[str, Any]]:
        self._check(
            "GET /cluster/resources", p, {"type": (False, t_enum("vm", "storage", "node", "sdn"))}
        )
        answer = []
        for vmid, vm in sorted(self.vms.items()):
            entry = {
                "id": f"qemu/{vmid}",
                "type": "qemu",
                "vmid": vmid,
                "node": vm["node"],
                "name": vm["config"].get("name", f"VM {vmid}"),
                "status": vm["status"],
                "template": int(vm["config"].get("template", 0)),
                **self._sizes(vm),
                "cpu": 0,
                "disk": 0,
                "uptime": 120 if vm["status"] == "running" else 0,
            }
            if vm["config"].get("tags"):
                entry["tags"] = vm["config"]["tags"]
            answer.append(entry)
        return answer

    def _sizes(self, vm: dict[str, Any]) -> dict[str, int]:
        config = vm["config"]
        size = re.search(r"size=(\d+)G", config["scsi0"])
        memory = int(str(config["memory"]).removeprefix("current="))
        return {
            "maxmem": memory * 1024**2,
            "maxdisk": int(size.group(1)) * GIB if size else 0,
            "maxcpu": int(config["cores"]),
        }

    # VIEWER/nodes/{node}/tasks/{upid}/status GET (Tasks.pm 'read_task_status'): status
    # running|stopped, exitstatus "OK" or the error; an unknown UPID is a parameter error.
    def task_status(self, node: str, upid: str, p: dict[str, str]) -> dict[str, Any]:
        self._check("GET tasks/status", p, {})
        task = self.tasks.get(upid)
        if task is None or task["node"] != node:
            raise param_fail({"upid": "no such task"})
        return {"upid": upid, "status": "stopped", "user": TOKEN_ID, **task}
