"""The certificate authority contract: what billing asks of an ACME CA or a CA reseller
(docs/ssl.md).

A CA module is a provisioning module (base.py) for SSL certificate services: its server is the
CA's endpoint (an ACME directory, a reseller API) with the provider's credential, its calls run
as the same durable tasks, and the lifecycle's operations mean:

    create     order a certificate for the service's name (`ctx.service.identifier`, plus
               `ctx.params["alt_names"]`), with `ctx.csr_pem`, and see it through: publish
               what validation asks for where the module can (DNS-01 on PowerDNS, HTTP-01),
               wait for the CA, download. done=True with the certificate in `access`
               (`certificate_access`), or done=True with `access["state"] = "validating"`
               when the CA waits for something only the customer can do (an approver email, a
               record on a DNS server Hutor does not run): `status` then tells, and `sync`
               downloads it once issued. A CA that is merely slow raises ProvisioningError:
               the task is retried with backoff.
    renew      the same for a new certificate before the old one expires (ACME: a new order;
               a reseller: its renewal order, paid by the renewal invoice)
    terminate  revoke where the tariff says so (`ctx.params["revoke_on_terminate"]`), else
               nothing: a certificate expires by itself
    suspend, unsuspend  not declared

The private key is Hutor's when it made the CSR: generated before the first create, kept
encrypted on the service (services.placement.ensure_private_key) and never sent anywhere;
a customer's own CSR comes with the order and Hutor never sees that key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningModule,
    ProvisioningResult,
    unimplemented,
)

# The capabilities only a CA has (base.CAPABILITIES includes them).
CA_CAPABILITIES = frozenset({"validation", "status", "download", "reissue", "revoke"})


class CertificateState:
    """Where an order is (`CertificateStatus.state`, `access["state"]`)."""

    VALIDATING = "validating"  # the CA waits for proof of control of the names
    PROCESSING = "processing"  # validated, being issued
    ISSUED = "issued"
    REVOKED = "revoked"
    FAILED = "failed"  # refused or expired unvalidated: a new order is needed


@dataclass(frozen=True)
class ValidationStep:
    """One thing to publish (or answer) to prove control of a name.

    method "dns": a TXT record `record_name` with `value`; "http": `value` served at
    http://<name>`path`; "email": the CA writes to `approver` (an address at the domain)."""

    name: str  # the domain name it proves
    method: str
    record_name: str = ""
    path: str = ""
    value: str = ""
    approver: str = ""
    done: bool = False


@dataclass(frozen=True)
class IssuedCertificate:
    """An issued certificate: its PEM, the CA chain after it, its validity, its serial."""

    certificate_pem: str
    chain_pem: str
    not_after: dt.datetime
    serial: str

    @property
    def fullchain_pem(self) -> str:
        return self.certificate_pem.rstrip("\n") + "\n" + self.chain_pem.lstrip("\n")


@dataclass(frozen=True)
class CertificateStatus:
    state: str
    detail: str = ""  # the CA's words, when it refused or is waiting
    certificate: IssuedCertificate | None = None


def certificate_access(cert: IssuedCertificate, **more: Any) -> Mapping[str, Any]:
    """What a create, renew or sync keeps on the service once the certificate is issued (not
    secret: a certificate and its chain are public; the key never goes here)."""
    return {
        "state": CertificateState.ISSUED,
        "certificate_pem": cert.certificate_pem,
        "chain_pem": cert.chain_pem,
        "expires_on": cert.not_after.date().isoformat(),
        "serial": cert.serial,
        **more,
    }


class CertificateAuthorityModule(ProvisioningModule):
    """An ACME CA or a CA reseller behind a certificate's lifecycle; see the module docstring.

    Subclasses declare `capabilities` from base.CAPABILITIES (which includes CA_CAPABILITIES)
    and implement those methods; the rest raise NotSupported."""

    # Before the first call, a private key is generated and kept (encrypted) on the service,
    # and `ctx.csr_pem` is a CSR of it for the service's names (csr.py), unless the order came
    # with the customer's own CSR (`service.access["csr_pem"]`).
    wants_private_key = True
    # True (ACME): a certificate is renewed before it expires by the daily run, with no invoice
    # (services.certificates); False (a reseller): by its paid renewal invoice.
    renews_itself: ClassVar[bool] = False

    @unimplemented
    def validation(self, ctx: ProvisioningContext) -> list[ValidationStep]:
        """What must be published (or answered) for the order to be validated."""
        raise self._unsupported("validation")

    @unimplemented
    def status(self, ctx: ProvisioningContext) -> CertificateStatus:
        raise self._unsupported("status")

    @unimplemented
    def download(self, ctx: ProvisioningContext) -> IssuedCertificate:
        raise self._unsupported("download")

    @unimplemented
    def reissue(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """A new certificate for `ctx.csr_pem` (a new key) within the same order."""
        raise self._unsupported("reissue")

    @unimplemented
    def revoke(self, ctx: ProvisioningContext, *, reason: str = "") -> ProvisioningResult:
        raise self._unsupported("revoke")
