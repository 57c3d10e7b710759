"""The demo's provisioning: every hosting order gets its DNS zone on a local PowerDNS when
Debian's pdns-server and pdns-backend-sqlite3 are installed, so a new user sees a zone appear
after paying; without them, hosting is provisioned by the "log" module, and the demo says so.

`configure()` writes var/pdns/ once: pdns.conf (API and DNS on 127.0.0.1 only, the ports from
HUTOR_DEMO_DNS_API_PORT, 8053 by default, and HUTOR_DEMO_DNS_PORT, 5353) and its SQLite database
made from the backend's own schema; `make run` starts `pdns_server --config-dir=var/pdns` beside
the worker. `load()` points the hosting tariffs at the demo's server group.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from hutor.catalog.models import ServiceType, Tariff
from hutor.servers import actions as servers
from hutor.servers.models import Server, ServerGroup

GROUP = "demo-hosting"
SCHEMAS = (
    Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"),
    Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"),
)
NAMESERVERS = ["ns1.hutor-demo.test", "ns2.hutor-demo.test"]
DEMO_IP = "192.0.2.10"  # TEST-NET-1 (RFC 5737): a documentation address
TEMPLATE = [
    {"name": "@", "type": "A", "content": "{ip}", "ttl": 300},
    {"name": "www", "type": "CNAME", "content": "{domain}.", "ttl": 300},
    {"name": "@", "type": "MX", "content": "10 mail.{domain}.", "ttl": 300},
    {"name": "mail", "type": "A", "content": "{ip}", "ttl": 300},
    {"name": "@", "type": "TXT", "content": '"v=spf1 a mx -all"', "ttl": 300},
]


@dataclass(frozen=True)
class DemoDNS:
    """Where the demo's PowerDNS listens (None from `configure` when it is not installed)."""

    directory: Path
    api_port: int
    dns_port: int
    api_key: str


def pdns_server() -> str | None:
    found = shutil.which("pdns_server") or shutil.which("pdns_server", path="/usr/sbin:/sbin")
    return found


def schema() -> Path | None:
    return next((path for path in SCHEMAS if path.is_file()), None)


def _port(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def configure(var_dir: Path | None = None) -> DemoDNS | None:
    """Write the demo's PowerDNS configuration and database under var/pdns/ (once: an existing
    one is kept with its key and zones); None when PowerDNS is not installed."""
    if pdns_server() is None or schema() is None:
        return None
    directory = Path(var_dir or settings.VAR_DIR) / "pdns"
    directory.mkdir(parents=True, exist_ok=True)
    key_file = directory / "api-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(24))
        key_file.chmod(0o600)
    api_key = key_file.read_text().strip()
    api_port = _port("HUTOR_DEMO_DNS_API_PORT", 8053)
    dns_port = _port("HUTOR_DEMO_DNS_PORT", 5353)
    database = directory / "pdns.sqlite3"
    if not database.exists():
        source = schema()
        assert source is not None
        with sqlite3.connect(database) as db:
            db.executescript(source.read_text())
        db.close()
    conf = {
        "launch": "gsqlite3",
        "gsqlite3-database": str(database),
        "api": "yes",
        "api-key": api_key,
        "webserver": "yes",
        "webserver-address": "127.0.0.1",
        "webserver-port": str(api_port),
        "webserver-allow-from": "127.0.0.1",
        "local-address": "127.0.0.1",
        "local-port": str(dns_port),
        "daemon": "no",
        "guardian": "no",
        "config-dir": str(directory),
        "socket-dir": str(directory),
        "disable-syslog": "yes",
        "security-poll-suffix": "",
    }
    (directory / "pdns.conf").write_text("".join(f"{k}={v}\n" for k, v in conf.items()))
    return DemoDNS(directory=directory, api_port=api_port, dns_port=dns_port, api_key=api_key)


def load(dns: DemoDNS | None) -> Server:
    """The demo's hosting server: PowerDNS when configured, else the "log" module. The hosting
    tariffs name its group (each order's zone comes from TEMPLATE). Run again, it keeps the
    server and brings its address and key up to date."""
    group = ServerGroup.objects.filter(code=GROUP).first() or servers.add_group(
        code=GROUP, name="Demo hosting"
    )
    module = "powerdns" if dns is not None else "log"
    port = dns.api_port if dns else None
    server = Server.objects.filter(group=group, enabled=True).order_by("pk").first()
    if server is not None and server.module != module:
        # PowerDNS installed (or removed) since: a new server of the other module takes the
        # new orders; the old one keeps what it holds.
        servers.update_server(server=server, values={"enabled": False})
        server = None
    if server is None:
        server = servers.add_server(
            name=f"demo-{module}-{secrets.token_hex(2)}",
            group=group,
            module=module,
            host="127.0.0.1",
            port=port,
            use_tls=False,
            password=dns.api_key if dns else "",
            settings={"nameservers": NAMESERVERS},
            capacity=10_000,
        )
    elif dns is not None and (server.port != port or server.password.reveal() != dns.api_key):
        servers.update_server(server=server, values={"port": port}, password=dns.api_key)
    hosting = ServiceType.objects.filter(code="hosting").first()
    if hosting is not None:
        Tariff.objects.filter(service_type=hosting).update(
            server_group=group, module_params={"template": TEMPLATE, "ip": DEMO_IP}
        )
    return server
