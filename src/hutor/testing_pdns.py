"""A real PowerDNS Authoritative server for the tests: Debian's `pdns-server` with the
`pdns-backend-sqlite3` backend, started in a temporary directory on free loopback ports with a
fresh SQLite database made from the schema the backend package ships, its HTTP API on, and
stopped when the tests end.

`pdns` is a session fixture (made available to every test by hutor/conftest.py): tests share
the one server and delete the zones they create. This module imports nothing of Hutor's at
import time (the root conftest loads it before the apps), only when a server is started.
Where pdns_server is not installed the tests that use it are skipped, saying so, except in CI
(CI=true), where that is a failure: .ci/run installs the packages.

Nothing here touches a system PowerDNS service (Debian's package may start one on port 53):
the server is ours, with its own configuration directory, sockets, database and ports.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hutor.services.provisioning.powerdns import PowerDNSClient

SCHEMA_PLACES = (
    Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"),
    Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"),
)
STARTUP_SECONDS = 20.0
ATTEMPTS = 3  # a free port can be taken by someone else between our check and pdns's bind


def pdns_server_binary() -> str | None:
    """HUTOR_PDNS_SERVER when set (a build outside Debian's paths), else pdns_server on the
    PATH or in /usr/sbin (where Debian puts it, not on every user's PATH)."""
    chosen = os.environ.get("HUTOR_PDNS_SERVER")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("pdns_server") or next(
        (p for p in ("/usr/sbin/pdns_server",) if os.access(p, os.X_OK)), None
    )


def sqlite_schema() -> Path | None:
    return next((p for p in SCHEMA_PLACES if p.is_file()), None)


def installed_version() -> str | None:
    """ "4.7.3", from `pdns_server --version` (which writes it to stderr), or None."""
    binary = pdns_server_binary()
    if binary is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - the installed pdns_server, no shell
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"PowerDNS Authoritative Server (\S+)", done.stderr + done.stdout)
    return found.group(1) if found else None


@dataclass
class PdnsServer:
    """A running pdns_server: its API (url, key), its DNS port on 127.0.0.1, its version."""

    api_url: str
    api_key: str
    dns_port: int
    version: str
    directory: Path
    process: subprocess.Popen[bytes]

    def client(self, *, timeout: float = 10.0) -> PowerDNSClient:
        from hutor.services.provisioning.powerdns import PowerDNSClient

        return PowerDNSClient(self.api_url, self.api_key, timeout=timeout)

    def log(self) -> str:
        return (self.directory / "pdns.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (pdns listens on both for DNS)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port on 127.0.0.1")


def write_config(directory: Path, *, api_key: str, dns_port: int, api_port: int) -> None:
    database = directory / "pdns.sqlite3"
    schema = sqlite_schema()
    assert schema is not None
    with sqlite3.connect(database) as db:
        db.executescript(schema.read_text())
    db.close()
    settings = {
        "launch": "gsqlite3",
        "gsqlite3-database": str(database),
        "api": "yes",
        "api-key": api_key,
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
        # No DNS lookup of PowerDNS's security status: the tests stay on this machine.
        "security-poll-suffix": "",
        # Two cores are shared by everything the tests run.
        "receiver-threads": "1",
        "distributor-threads": "1",
    }
    text = "".join(f"{key}={value}\n" for key, value in settings.items())
    (directory / "pdns.conf").write_text(text)


def start(directory: Path) -> PdnsServer:
    """Start pdns_server in `directory` and wait until its API answers with our key."""
    from hutor.services.provisioning.powerdns import PowerDNSError

    binary = pdns_server_binary()
    if binary is None:
        raise RuntimeError("pdns_server is not installed")
    failures = []
    for attempt in range(1, ATTEMPTS + 1):
        here = directory / f"run{attempt}"
        here.mkdir(parents=True)
        api_key = secrets.token_urlsafe(24)
        dns_port, api_port = free_port(), free_port()
        write_config(here, api_key=api_key, dns_port=dns_port, api_port=api_port)
        with open(here / "pdns.log", "wb") as log:
            process = subprocess.Popen(  # noqa: S603 - the installed pdns_server, no shell
                [binary, f"--config-dir={here}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        server = PdnsServer(
            api_url=f"http://127.0.0.1:{api_port}",
            api_key=api_key,
            dns_port=dns_port,
            version="",
            directory=here,
            process=process,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    server.version = server.client(timeout=2).check()
                    return server
                except PowerDNSError:
                    time.sleep(0.1)
        except BaseException:
            server.stop()  # never leave a server behind, whatever interrupted the wait
            raise
        server.stop()
        failures.append(f"attempt {attempt} (exit code {process.returncode}):\n{server.log()}")
    raise RuntimeError("pdns_server did not start:\n" + "\n".join(failures))


def require_pdns() -> None:
    """Skip the test when PowerDNS is not installed, saying what to install; in CI (CI=true)
    fail instead, since there the PowerDNS tests must run."""
    missing = []
    if pdns_server_binary() is None:
        missing.append("pdns-server")
    if sqlite_schema() is None:
        missing.append("pdns-backend-sqlite3")
    if missing:
        reason = f"PowerDNS is not installed (apt-get install {' '.join(missing)})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the PowerDNS tests", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def pdns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdnsServer]:
    """A real PowerDNS Authoritative server for the whole test session."""
    require_pdns()
    server = start(tmp_path_factory.mktemp("pdns"))
    try:
        yield server
    finally:
        server.stop()
