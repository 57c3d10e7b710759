"""One conversation with an ACME CA (RFC 8555) for the "acme" module: its settings, the account
key, the client of certbot's `acme` library registered with that key, and the translation of
what the CA answers into Hutor's provisioning errors.

The account is the ACME server's credential: a PEM private key (RSA of 2048 bits or more, or
EC P-256/P-384) in the Hutor server's password field, encrypted at rest like any credential.
Hutor never generates it, since a key made by a worker would have to be written back to the
server row and would be lost with a failed write; the operator makes it once
(`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`, docs/ssl.md). Each call
registers it: RFC 8555 section 7.3 answers an existing account with 200 and its URL
(section 7.3.1), so registering is idempotent and needs no stored account URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import josepy as jose
import requests
from acme import client as acme_client
from acme import errors as acme_errors
from acme import messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.utils.translation import gettext as _

from hutor.services.provisioning.base import (
    ProvisioningError,
    ProvisioningRefused,
    ServerAccess,
)
from hutor.services.provisioning.ca import IssuedCertificate
from hutor.services.provisioning.powerdns import PowerDNSError

DEFAULT_PORT = 443
DEFAULT_DIRECTORY_PATH = "/directory"
DEFAULT_TIMEOUT = 120.0  # seconds the CA has to validate and issue before the call is retried
NETWORK_TIMEOUT = 30  # seconds for one HTTP request to the CA
USER_AGENT = "hutor-acme"
# Problem types a later try may get past (RFC 8555 section 6.7): the CA's own failure, its rate
# limit, a nonce refused twice in a row. Any other problem is the CA saying no.
RETRYABLE_PROBLEMS = frozenset({"serverInternal", "rateLimited", "badNonce"})


class AcmeRefused(ProvisioningRefused):
    """The CA said no (a name its policy refuses, a failed challenge), or a setting is wrong:
    needs staff, with the CA's words."""


class AcmeFailed(ProvisioningError):
    """The CA did not answer, failed in passing, or is slow: retried with backoff."""


@dataclass(frozen=True)
class Settings:
    """The ACME server's settings (docs/ssl.md has the table)."""

    directory_url: str
    verify: str | bool  # a CA file to trust (a private ACME CA, the tests' pebble), or True
    email: str
    dns_server: str  # the name of a Hutor server of module "powerdns", or ""
    webroot: str  # where HTTP-01 challenge files are written, or ""
    timeout: float

    @classmethod
    def of(cls, server: ServerAccess | None) -> Settings:
        if server is None:
            raise AcmeRefused(_("The acme module needs a server (the ACME CA's directory)."))
        settings = server.settings or {}
        path = str(settings.get("directory_path") or DEFAULT_DIRECTORY_PATH)
        try:
            timeout = float(settings.get("timeout") or DEFAULT_TIMEOUT)
        except (TypeError, ValueError):
            raise AcmeRefused(_("The setting «timeout» must be a number of seconds.")) from None
        return cls(
            directory_url=server.base_url(DEFAULT_PORT) + "/" + path.lstrip("/"),
            verify=str(settings.get("ca_file") or "") or True,
            email=str(settings.get("email") or ""),
            dns_server=str(settings.get("dns_server") or ""),
            webroot=str(settings.get("webroot") or ""),
            timeout=timeout,
        )


def account_key(server: ServerAccess) -> tuple[jose.JWK, jose.JWASignature]:
    """The account's key and its JWS algorithm, from the PEM in the server's password."""
    if not server.password.strip():
        raise AcmeRefused(
            _(
                "The ACME server «%(server)s» has no account key: put a PEM private key "
                "(RSA or EC P-256) in its password field."
            )
            % {"server": server.name}
        )
    try:
        key = serialization.load_pem_private_key(server.password.encode(), password=None)
    except (ValueError, TypeError):
        # Never the key itself in the message: only that it is not one.
        raise AcmeRefused(
            _("The account key of the ACME server «%(server)s» is not a PEM private key.")
            % {"server": server.name}
        ) from None
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return jose.JWKRSA(key=key), jose.RS256
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in ("secp256r1", "secp384r1"):
        alg = jose.ES256 if key.curve.name == "secp256r1" else jose.ES384
        return jose.JWKEC(key=key), alg
    raise AcmeRefused(
        _(
            "The account key of the ACME server «%(server)s» must be RSA (2048 bits or more) "
            "or EC P-256 or P-384."
        )
        % {"server": server.name}
    )


@dataclass
class Session:
    """A client of the CA with the account registered (every call of the module opens one)."""

    client: acme_client.ClientV2
    key: jose.JWK
    settings: Settings
    account_url: str

    @classmethod
    def open(cls, server: ServerAccess | None) -> Session:
        settings = Settings.of(server)
        assert server is not None
        key, alg = account_key(server)
        net = acme_client.ClientNetwork(
            key,
            alg=alg,
            verify_ssl=settings.verify,  # type: ignore[arg-type]  # requests takes a CA file too
            user_agent=USER_AGENT,
            timeout=NETWORK_TIMEOUT,
        )
        with translated(server):
            directory = acme_client.ClientV2.get_directory(settings.directory_url, net)
            client = acme_client.ClientV2(directory, net)
            registration = messages.NewRegistration.from_data(
                email=settings.email or None, terms_of_service_agreed=True
            )
            try:
                account = client.new_account(registration)
                url = account.uri
            except acme_errors.ConflictError as exists:
                # RFC 8555 7.3.1: the key's account exists; its URL signs what follows ("kid").
                url = exists.location
                net.account = messages.RegistrationResource(uri=url, body=messages.Registration())
        return cls(client=client, key=key, settings=settings, account_url=url)


def problem_text(problem: messages.Error) -> str:
    """The CA's own words: its detail, with the problem's type."""
    words = problem.detail or problem.title or problem.description or ""
    kind = problem.code or str(problem.typ)
    return f"{words} ({kind})" if words else kind


@contextmanager
def translated(server: ServerAccess | None) -> Iterator[None]:
    """The CA's (and PowerDNS's) failures as ProvisioningRefused when no retry can help, else as
    ProvisioningError; never with the account key in them."""
    where = server.name if server else "?"
    try:
        yield
    except messages.Error as problem:
        if problem.code in RETRYABLE_PROBLEMS:
            raise AcmeFailed(
                _("The certificate authority «%(server)s» failed: %(detail)s")
                % {"server": where, "detail": problem_text(problem)}
            ) from None
        raise AcmeRefused(
            _("The certificate authority «%(server)s» refused: %(detail)s")
            % {"server": where, "detail": problem_text(problem)}
        ) from None
    except acme_errors.ValidationError as failed:
        raise AcmeRefused(
            _("The certificate authority «%(server)s» could not validate the names: %(detail)s")
            % {"server": where, "detail": validation_text(failed)}
        ) from None
    except acme_errors.IssuanceError as failed:
        raise AcmeRefused(
            _("The certificate authority «%(server)s» refused to issue: %(detail)s")
            % {"server": where, "detail": problem_text(failed.error)}
        ) from None
    except acme_errors.TimeoutError:
        raise AcmeFailed(
            _("The certificate authority «%(server)s» did not finish in time; retried later.")
            % {"server": where}
        ) from None
    except PowerDNSError as exc:
        if exc.retryable:
            raise AcmeFailed(str(exc)) from None
        raise AcmeRefused(str(exc)) from None
    except (acme_errors.Error, jose.errors.Error, requests.RequestException) as exc:
        # No answer, a reset, HTTP 5xx without a problem document, an answer that is not JSON
        # or not the object RFC 8555 describes.
        raise AcmeFailed(
            _("The certificate authority «%(server)s» did not answer properly: %(detail)s")
            % {"server": where, "detail": f"{type(exc).__name__}: {exc}"[:500]}
        ) from None


def validation_text(failed: acme_errors.ValidationError) -> str:
    parts = []
    for authz in failed.failed_authzrs:
        for challenge in authz.body.challenges:
            if challenge.error is not None:
                parts.append(f"{authz.body.identifier.value}: {problem_text(challenge.error)}")
    return "; ".join(parts) or str(failed)


def issued(fullchain_pem: str) -> IssuedCertificate:
    """The leaf and the chain after it, from the CA's application/pem-certificate-chain."""
    certificates = x509.load_pem_x509_certificates(fullchain_pem.encode())
    if not certificates:
        raise AcmeFailed(_("The certificate authority sent no certificate."))
    leaf = certificates[0]
    pem = [c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates]
    return IssuedCertificate(
        certificate_pem=pem[0],
        chain_pem="".join(pem[1:]),
        not_after=leaf.not_valid_after_utc,
        serial=format(leaf.serial_number, "x"),
    )


def certificate_names(pem: str) -> list[str]:
    """The DNS names a certificate or CSR covers (its subject alternative names)."""
    data = pem.encode()
    obj: Any
    obj = (
        x509.load_pem_x509_csr(data)
        if b"CERTIFICATE REQUEST" in data
        else (x509.load_pem_x509_certificate(data))
    )
    try:
        san = obj.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        san = None
    names = [str(n) for n in san.value.get_values_for_type(x509.DNSName)] if san else []
    common = obj.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    if common and str(common[0].value) not in names:
        names.insert(0, str(common[0].value))
    return [n.lower() for n in names]


def deadline(settings: Settings) -> dt.datetime:
    # The acme library compares with naive local datetime.now().
    return dt.datetime.now() + dt.timedelta(seconds=settings.timeout)
