"""A real ACME CA for the tests: Debian's `pebble` (Let's Encrypt's test server, RFC 8555),
started in a temporary directory on free loopback ports, resolving names through the real
PowerDNS of the `pdns` fixture (`-dnsserver`), so a DNS-01 challenge is validated against the
TXT records Hutor published there, and an HTTP-01 challenge goes to the address PowerDNS gives.

Debian's package ships no test certificates (upstream's test/certs/), so the fixture makes its
own: a throwaway CA and a certificate for 127.0.0.1 and localhost, which pebble serves its ACME
API and management interface with; clients trust it through `ca_file`. The certificates pebble
issues chain to a root it generates at each start, read from its management interface
(`root_pem`, `intermediate_pem`: GET /roots/0, /intermediates/0, README "CA Root and
Intermediate Certificates").

Pebble runs at full speed and deterministically: PEBBLE_VA_NOSLEEP=1 (no random sleep before a
validation), PEBBLE_WFE_NONCEREJECT=0 (no valid nonce refused as bad), PEBBLE_AUTHZREUSE=0 (every
order is validated anew, so a renewal proves control again). Its domain blocklist holds
`BLOCKED` (a name it refuses at the new order, as a real CA refuses a name its policy forbids).

`pebble` is a session fixture (made available to every test by hutor/conftest.py). Where pebble
is not installed its tests are skipped, saying so, except in CI (CI=true), where that is a
failure: .ci/run installs the package. This module imports nothing of Hutor's.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hutor.testing_pdns import free_port

if TYPE_CHECKING:
    from hutor.testing_pdns import PdnsServer

STARTUP_SECONDS = 20.0
ATTEMPTS = 3  # a free port can be taken by someone else between our check and pebble's bind
BLOCKED = "blocked.example"
ENVIRONMENT = {
    "PEBBLE_VA_NOSLEEP": "1",
    "PEBBLE_WFE_NONCEREJECT": "0",
    "PEBBLE_AUTHZREUSE": "0",
}


def pebble_binary() -> str | None:
    """HUTOR_PEBBLE when set (a build outside Debian's paths), else pebble on the PATH."""
    chosen = os.environ.get("HUTOR_PEBBLE")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("pebble") or (
        "/usr/bin/pebble" if os.access("/usr/bin/pebble", os.X_OK) else None
    )


def installed_version() -> str | None:
    """Debian's package version of pebble ("2.4.0+ds1-2+b4"): pebble prints none itself."""
    try:
        done = subprocess.run(
            ["/usr/bin/dpkg-query", "-W", "-f=${Version}", "pebble"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


@dataclass
class PebbleServer:
    """A running pebble: its ACME directory, its management interface, the CA file that
    trusts its HTTPS certificate, the port where it sends HTTP-01 requests."""

    directory_url: str
    port: int
    management_url: str
    ca_file: Path
    http_port: int
    workdir: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str) -> bytes:
        """GET from the management interface (https://127.0.0.1:<port>/<path>)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(self.management_url + path, timeout=10) as response:
            body: bytes = response.read()
        return body

    def root_pem(self) -> str:
        """The root the certificates it issues chain to (made anew at each start)."""
        return self.get("/roots/0").decode()

    def intermediate_pem(self) -> str:
        return self.get("/intermediates/0").decode()

    def certificate_status(self, serial_hex: str) -> dict[str, object]:
        """{"Status": "Valid" | "Revoked", "Reason": …} of a certificate it issued."""
        answer: dict[str, object] = json.loads(self.get(f"/cert-status-by-serial/{serial_hex}"))
        return answer

    def log(self) -> str:
        return (self.workdir / "pebble.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def write_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate of 127.0.0.1 and localhost signed by it: (CA file,
    certificate, key) for pebble's own HTTPS."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hutor tests: pebble's HTTPS CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def start(directory: Path, *, dns_port: int) -> PebbleServer:
    """Start pebble in `directory`, resolving through 127.0.0.1:`dns_port`, and wait until its
    directory answers over HTTPS that its CA file trusts."""
    binary = pebble_binary()
    if binary is None:
        raise RuntimeError("pebble is not installed")
    failures = []
    for attempt in range(1, ATTEMPTS + 1):
        here = directory / f"run{attempt}"
        here.mkdir(parents=True)
        ca_file, cert_file, key_file = write_tls(here)
        port, management, http_port, tls_port = (free_port() for _ in range(4))
        config = {
            "pebble": {
                "listenAddress": f"127.0.0.1:{port}",
                "managementListenAddress": f"127.0.0.1:{management}",
                "certificate": str(cert_file),
                "privateKey": str(key_file),
                "httpPort": http_port,
                "tlsPort": tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": False,
                "domainBlocklist": [BLOCKED],
                # 90 days, as Let's Encrypt issues them: renewal comes within a year's service.
                "certificateValidityPeriod": 90 * 24 * 3600,
            }
        }
        (here / "pebble-config.json").write_text(json.dumps(config, indent=2))
        with open(here / "pebble.log", "wb") as log:
            process = subprocess.Popen(  # noqa: S603 - the installed pebble, no shell
                [
                    binary,
                    "-config",
                    str(here / "pebble-config.json"),
                    "-dnsserver",
                    f"127.0.0.1:{dns_port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=here,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **ENVIRONMENT},
            )
        server = PebbleServer(
            directory_url=f"https://127.0.0.1:{port}/dir",
            port=port,
            management_url=f"https://127.0.0.1:{management}",
            ca_file=ca_file,
            http_port=http_port,
            workdir=here,
            process=process,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    server.get("/roots/0")
                    _get_json(server.directory_url, ca_file)
                    return server
                except (urllib.error.URLError, OSError, ValueError):
                    time.sleep(0.1)
        except BaseException:
            server.stop()  # never leave a server behind, whatever interrupted the wait
            raise
        server.stop()
        failures.append(f"attempt {attempt} (exit code {process.returncode}):\n{server.log()}")
    raise RuntimeError("pebble did not start:\n" + "\n".join(failures))


def _get_json(url: str, ca_file: Path) -> object:
    context = ssl.create_default_context(cafile=str(ca_file))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    with opener.open(url, timeout=5) as response:
        return json.loads(response.read())


def require_pebble() -> None:
    """Skip the test when pebble is not installed, saying what to install; in CI (CI=true)
    fail instead, since there the ACME tests must run."""
    if pebble_binary() is None:
        reason = "pebble is not installed (apt-get install pebble)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the ACME tests", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def pebble(tmp_path_factory: pytest.TempPathFactory, pdns: PdnsServer) -> Iterator[PebbleServer]:
    """A real pebble for the whole test session, resolving names through the `pdns` server."""
    require_pebble()
    server = start(tmp_path_factory.mktemp("pebble"), dns_port=pdns.dns_port)
    try:
        yield server
    finally:
        server.stop()
