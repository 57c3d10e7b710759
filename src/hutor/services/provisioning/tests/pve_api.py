"""What the fake Proxmox VE API (pve_fake.py) checks requests against: the answer to an
error, and the parameter types of pve-common `PVE/JSONSchema.pm` (check_type, the registered
formats) that the documented schemas use."""

from __future__ import annotations

import re
from collections.abc import Callable

VIEWER = "https://pve.proxmox.com/pve-docs/api-viewer/index.html#"
TOKEN_ID = "hutor@pve!billing"
SECRET = "5f0c1a7e-3b1d-4c55-9a0e-7d1f2e3c4b5a"
GIB = 1024**3


class Fail(Exception):
    """An error answer: HTTP status, the status line's message, per-parameter errors."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def param_fail(errors: dict[str, str]) -> Fail:
    # pve-common PVE/JSONSchema.pm validate(): "Parameter verification failed." (HTTP 400).
    return Fail(400, "Parameter verification failed.", errors)


def die(message: str) -> Fail:
    # A handler that dies with a plain message: HTTP 500 with that message
    # (pve-http-server src/PVE/APIServer/AnyEvent.pm, handle_api2_request).
    return Fail(500, message)


# Parameter types of pve-common PVE/JSONSchema.pm (check_type, the registered formats).
def t_int(v: str) -> bool:
    return re.fullmatch(r"-?\d+", v) is not None


def t_bool(v: str) -> bool:
    return v in ("0", "1")  # check_type 'boolean': '1' or '0'


def t_dns_name(v: str) -> bool:
    return (
        re.fullmatch(r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9\-]+)*", v) is not None
    )


def t_urlencoded(v: str) -> bool:
    return re.fullmatch(r"[-%a-zA-Z0-9_.!~*'()]*", v) is not None  # pve_verify_urlencoded


def t_tag_list(v: str) -> bool:
    tags = [t for t in re.split(r"[;, ]+", v) if t]
    return all(re.fullmatch(r"[a-z0-9_][a-z0-9_\-+.]*", t, re.I) for t in tags)


def t_any(v: str) -> bool:
    return True


def t_enum(*values: str) -> Callable[[str], bool]:
    return lambda v: v in values


def t_positive(v: str) -> bool:
    return t_int(v) and int(v) >= 1


def t_memory(v: str) -> bool:
    # Qemu.pm `memory`: format memory_fmt, "[current=]<integer>" in MiB, minimum 16.
    m = re.fullmatch(r"(?:current=)?(\d+)", v)
    return m is not None and int(m.group(1)) >= 16


def t_size(v: str) -> bool:
    return re.fullmatch(r"\+?\d+(\.\d+)?[KMGT]?", v) is not None  # Qemu.pm:5962 resize `size`


Schema = dict[str, tuple[bool, Callable[[str], bool]]]  # name: (required, check)

# VIEWER/nodes/{node}/qemu/{vmid}/config PUT: the options Hutor sets (Qemu.pm:2718,
# QemuServer.pm $confdesc and $confdesc_cloudinit).
CONFIG_SCHEMA: Schema = {
    "cores": (False, t_positive),  # integer, minimum 1
    "memory": (False, t_memory),
    "ciuser": (False, t_any),
    "cipassword": (False, t_any),
    "sshkeys": (False, t_urlencoded),  # format 'urlencoded': one OpenSSH key per line
    "ipconfig0": (False, t_any),
    "tags": (False, t_tag_list),  # format 'pve-tag-list'
    "name": (False, t_dns_name),
    "description": (False, t_any),
    "delete": (False, t_any),
    "digest": (False, t_any),
    "skiplock": (False, t_bool),
}
