"""A domain's registry, asked outside its lifecycle: what the registry holds (`sync`), the
nameservers, the transfer code, the transfer lock (issue 14, the panel's domain section).

Each is a call of the domain's registrar module (services/provisioning/registrar.py) made
outside any transaction, only when the module declares the capability and the domain is
active; what it learns is kept on the domain's details (actions.record_registry_state), and a
change made for a person is recorded in the service's history with who asked
(services.lifecycle.record). A failure is a RegistryError: a plain message for the person, the
module's own words kept for staff and the log.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.domains.actions import live_domains, record_registry_state
from hutor.domains.models import ContactProfile, DomainDetails
from hutor.services import lifecycle
from hutor.services.exceptions import InvalidIdentifier, ServiceError
from hutor.services.identifiers import normalize_domain
from hutor.services.models import ServiceStatus
from hutor.services.provisioning import MODULES, context_for, get_module
from hutor.services.provisioning.registrar import DomainInfo, RegistrarModule

if TYPE_CHECKING:
    from hutor.accounts.models import User
    from hutor.services.models import Service

log = logging.getLogger("hutor.provisioning")
T = TypeVar("T")


class RegistryError(ServiceError):
    """A registry call could not be made or failed; `detail` keeps the module's words."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def registrar_of(service: Service) -> RegistrarModule | None:
    """The service's registrar module, or None for a service that is not a domain at one."""
    module = MODULES.get(service.provisioning_module)
    if module is None or not issubclass(module, RegistrarModule):
        return None
    instance = get_module(service.provisioning_module)
    assert isinstance(instance, RegistrarModule)
    return instance


def supports(service: Service, capability: str) -> bool:
    module = registrar_of(service)
    return module is not None and module.supports(capability)


def _ready(service: Service, capability: str) -> RegistrarModule:
    module = registrar_of(service)
    if module is None or not module.supports(capability):
        raise RegistryError(_("This is not available for this domain."))
    if service.status != ServiceStatus.ACTIVE or not service.remote_id:
        raise RegistryError(_("This is available once the domain is registered and active."))
    return module


def _call(service: Service, what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
        log.warning("registry %s of service %s failed: %s", what, service.pk, detail)
        raise RegistryError(
            _("The registry did not answer as expected. Please try again later."), detail
        ) from exc


def _ensure_details(service: Service) -> None:
    DomainDetails.objects.get_or_create(
        service=service, defaults={"created_at": service.created_at}
    )


def sync(*, service: Service) -> DomainInfo:
    """Ask the registry what it holds (expiry, statuses, nameservers, lock) and keep it."""
    module = _ready(service, "info")
    info = _call(service, "info", lambda: module.info(context_for(service)))
    _ensure_details(service)
    record_registry_state(
        service=service,
        expires_on=info.expires_on,
        statuses=info.statuses,
        locked=info.locked,
        nameservers=info.nameservers,
    )
    return info


def clean_nameservers(names: Sequence[str]) -> list[str]:
    """Two to thirteen host names, each once, in normal form; InvalidIdentifier otherwise."""
    hosts: list[str] = []
    for name in names:
        if name.strip():
            host = normalize_domain(name)
            if host not in hosts:
                hosts.append(host)
    if not 2 <= len(hosts) <= 13:
        raise InvalidIdentifier(_("Give from two to thirteen nameservers."))
    return hosts


def set_nameservers(
    *, service: Service, names: Sequence[str], actor: str, user: User | None = None
) -> list[str]:
    """Make the domain's nameservers exactly `names` at the registry, then keep and record
    them."""
    module = _ready(service, "set_nameservers")
    hosts = clean_nameservers(names)
    ctx = dataclasses.replace(context_for(service), nameservers=tuple(hosts))
    _call(service, "set_nameservers", lambda: module.set_nameservers(ctx))
    _ensure_details(service)
    with transaction.atomic():
        record_registry_state(service=service, nameservers=hosts)
        lifecycle.record(service, "nameservers", actor=actor, user=user, params={"hosts": hosts})
    return hosts


def transfer_code(*, service: Service, actor: str, user: User | None = None) -> str:
    """Unlock the domain and get its transfer (auth) code for another registrar; recorded in
    the service's history (who asked, never the code). "" when the registry sends the code to
    the domain's owner itself (REG.RU)."""
    module = _ready(service, "transfer_out")
    code = _call(service, "transfer_out", lambda: module.transfer_out(context_for(service)))
    _ensure_details(service)
    with transaction.atomic():
        record_registry_state(service=service, locked=False)
        lifecycle.record(
            service, "auth_code", actor=actor, user=user, params={"sent_by_registry": not code}
        )
    return code


def set_lock(*, service: Service, locked: bool, actor: str, user: User | None = None) -> None:
    """Turn the transfer lock (clientTransferProhibited) on or off at the registry."""
    module = _ready(service, "lock")
    _call(service, "lock", lambda: module.lock(context_for(service), locked=locked))
    _ensure_details(service)
    with transaction.atomic():
        record_registry_state(service=service, locked=locked)
        lifecycle.record(
            service, "transfer_lock" if locked else "transfer_unlock", actor=actor, user=user
        )


def push_contacts(*, profile: ContactProfile) -> tuple[list[str], list[str]]:
    """After the profile changed: bring the registry's registrant of each registered domain
    that uses it up to date (`update_contacts`, one call per domain, outside any transaction).
    Returns (domains updated, domains whose registry could not be told: staff or a later edit
    try again)."""
    done: list[str] = []
    failed: list[str] = []
    for service in live_domains(profile):
        if not supports(service, "update_contacts"):
            continue
        if service.status != ServiceStatus.ACTIVE or not service.remote_id:
            continue
        module = _ready(service, "update_contacts")
        ctx = context_for(service)
        try:
            _call(service, "update_contacts", lambda: module.update_contacts(ctx))  # noqa: B023
        except RegistryError:
            failed.append(service.identifier)
        else:
            done.append(service.identifier)
    return done, failed
