"""Certificates renewed before they expire, by the daily billing run (issue 14).

A CA module that issues without payment per certificate (ACME: `CertificateAuthorityModule.
renews_itself`) keeps a certificate's service alive by itself: the certificate lives 90 days
whatever the service's billing period, so the billing run queues a `renew` task for each active
certificate service of such a module whose certificate expires within
HUTOR_CERTIFICATE_RENEW_DAYS_BEFORE days (`access["expires_on"]`, written by the module when it
issued). A commercial CA's certificate is renewed by its paid renewal invoice instead (the
`renew` task a paid renewal queues, services.lifecycle.renew_remote).

Once per certificate: a service with a renew task still queued, running or failed (staff see it
on the failures page) gets no second one; a renewal done moves `expires_on` ahead.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from hutor.services import lifecycle, placement
from hutor.services.exceptions import ServiceError
from hutor.services.models import (
    ProvisioningOperation,
    ProvisioningStatus,
    ProvisioningTask,
    Service,
    ServiceStatus,
)
from hutor.services.provisioning import MODULES, context_for, get_module
from hutor.services.provisioning.ca import (
    CertificateAuthorityModule,
    CertificateState,
    IssuedCertificate,
)
from hutor.services.provisioning.registrar import ascii_name

log = logging.getLogger("hutor.provisioning")


class CertificateError(ServiceError):
    """A certificate's CA could not be asked (said to the person in plain words)."""


def self_renewing_modules() -> list[str]:
    return [
        name
        for name, module in MODULES.items()
        if issubclass(module, CertificateAuthorityModule)
        and module.renews_itself
        and module.supports("renew")
    ]


def due(today: dt.date) -> list[int]:
    """The services whose certificate expires within the configured days and that wait for no
    renewal already."""
    modules = self_renewing_modules()
    if not modules:
        return []
    horizon = today + dt.timedelta(days=settings.HUTOR_CERTIFICATE_RENEW_DAYS_BEFORE)
    waiting = ProvisioningTask.objects.filter(
        operation=ProvisioningOperation.RENEW,
        status__in=(
            ProvisioningStatus.PENDING,
            ProvisioningStatus.RUNNING,
            ProvisioningStatus.FAILED,
        ),
    ).values("service_id")
    return list(
        Service.objects.filter(
            status=ServiceStatus.ACTIVE,
            provisioning_module__in=modules,
            access__expires_on__lte=horizon.isoformat(),
        )
        .exclude(pk__in=waiting)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def queue_renewals(today: dt.date) -> list[int]:
    """Queue a renew task for each certificate due (see `due`); returns their service ids."""
    queued = []
    for pk in due(today):
        with transaction.atomic():
            service = lifecycle.lock(pk)
            if service.status != ServiceStatus.ACTIVE:
                continue
            expires = str((service.access or {}).get("expires_on") or "")
            lifecycle.provision(service=service, operation="renew", expires_on=expires)
            queued.append(pk)
    return queued


# --- Certificates waiting for the customer's validation --------------------------------------


def waiting() -> list[int]:
    """Active certificate services whose order waits for validation (a reseller's DCV):
    `access["state"]` is "validating"."""
    modules = [
        name
        for name, module in MODULES.items()
        if issubclass(module, CertificateAuthorityModule) and module.supports("sync")
    ]
    if not modules:
        return []
    return list(
        Service.objects.filter(
            status=ServiceStatus.ACTIVE,
            provisioning_module__in=modules,
            access__state=CertificateState.VALIDATING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def refresh(*, service: Service) -> str:
    """Ask the CA where the certificate's order is (`sync`, outside any transaction) and keep
    what it says on the service: the certificate once issued, else the steps still to take.
    Returns the order's state; CertificateError when the CA cannot be asked."""
    module = MODULES.get(service.provisioning_module)
    if module is None or not issubclass(module, CertificateAuthorityModule):
        raise CertificateError(_("This is not available for this service."))
    if not module.supports("sync") or service.status != ServiceStatus.ACTIVE:
        raise CertificateError(_("This is not available for this service."))
    try:
        result = get_module(service.provisioning_module).sync(context_for(service))
    except Exception as exc:
        log.warning("certificate sync of service %s failed: %s", service.pk, type(exc).__name__)
        raise CertificateError(
            _("The certificate authority did not answer as expected. Please try again later.")
        ) from exc
    placement.record_result(service=service, access=result.access)
    return str((service.access or {}).get("state", ""))


def refresh_waiting() -> tuple[int, int]:
    """The daily run's look at every certificate waiting for validation: (issued now, still
    waiting or failed to ask)."""
    issued = waiting_still = 0
    for pk in waiting():
        service = Service.objects.select_related("tariff", "server").get(pk=pk)
        try:
            state = refresh(service=service)
        except CertificateError:
            waiting_still += 1
            continue
        if state == CertificateState.ISSUED:
            issued += 1
        else:
            waiting_still += 1
    return issued, waiting_still


def validation_of(service: Service) -> dict[str, Any] | None:
    """What the service page shows of an order waiting for validation: the steps (a DNS record,
    a file on the site, an approver email), and the CA's words."""
    details = service.access if isinstance(service.access, dict) else {}
    if details.get("state") != CertificateState.VALIDATING or not _is_certificate(service):
        return None
    return {"steps": list(details.get("validation") or []), "detail": details.get("detail", "")}


# --- What the customer downloads (the panel's service page) ---------------------------------

DOWNLOADS = {
    "fullchain.pem": "application/x-pem-file",
    "key.pem": "application/x-pem-file",
    "certificate.p12": "application/x-pkcs12",
}


def certificate_of(service: Service) -> dict[str, Any] | None:
    """An issued certificate's facts for its service page (None: not a certificate, or not
    issued yet). `key` says whether Hutor keeps its private key (it made the CSR)."""
    details = service.access if isinstance(service.access, dict) else {}
    if not details.get("certificate_pem") or not _is_certificate(service):
        return None
    return {
        "state": details.get("state", ""),
        "expires_on": _date(details.get("expires_on")),
        "serial": details.get("serial", ""),
        "names": details.get("names") or [service.identifier],
        "key": bool(service.password),
    }


def download(service: Service, kind: str) -> tuple[str, bytes]:
    """(file name, content) of one download: the certificate with its chain (PEM), the private
    key Hutor made (PEM), or both as PKCS#12 for servers that import one file. LookupError for
    what the service does not have."""
    facts = certificate_of(service)
    if facts is None or kind not in DOWNLOADS:
        raise LookupError(kind)
    details = service.access
    fullchain = IssuedCertificate(
        certificate_pem=details["certificate_pem"],
        chain_pem=details.get("chain_pem", ""),
        not_after=dt.datetime.max,
        serial=facts["serial"],
    ).fullchain_pem
    stem = ascii_name(service.identifier).replace("*", "wildcard")
    if kind == "fullchain.pem":
        return f"{stem}.fullchain.pem", fullchain.encode("ascii")
    if not facts["key"]:
        raise LookupError(kind)  # the customer's own CSR: the key was never here
    key_pem = service.password.reveal()
    if kind == "key.pem":
        return f"{stem}.key.pem", key_pem.encode("ascii")
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
    certs = x509.load_pem_x509_certificates(fullchain.encode("ascii"))
    bundle = pkcs12.serialize_key_and_certificates(
        stem.encode("ascii"),
        key,  # type: ignore[arg-type]
        certs[0],
        certs[1:] or None,
        serialization.NoEncryption(),
    )
    return f"{stem}.p12", bundle


def _is_certificate(service: Service) -> bool:
    module = MODULES.get(service.provisioning_module)
    return module is not None and issubclass(module, CertificateAuthorityModule)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
