"""Where a service lives: the server it is created on, and what that server said about it.

A tariff names a server group (catalog.Tariff.server_group); its new service is placed on the
least-loaded enabled server of the group when its create task runs (services.tasks), not when
it is ordered or paid: an unpaid order holds no room, and billing never waits for placement.
The load of a server is its services that are not terminated or cancelled, against its
capacity; a full server is skipped. No server with room: the task needs attention (staff add
a server or raise a capacity, then retry it), the service stays billed as it is.

The servers app owns the servers; this module owns the service's side (`Service.server`,
`remote_id`, `password`, `access`), written only here.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from hutor.core.secrets import Secret
from hutor.servers.models import Server
from hutor.services import lifecycle
from hutor.services.exceptions import ServiceError
from hutor.services.models import Service, ServiceStatus
from hutor.services.provisioning import MODULES
from hutor.services.provisioning.ca import CertificateAuthorityModule
from hutor.services.provisioning.csr import make_private_key

if TYPE_CHECKING:
    from hutor.catalog.models import Tariff

# Services that hold no room on their server.
GONE = (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED)


class NeedsAttention(ServiceError):
    """A provisioning task no retry can carry out until staff act (no server with room, a
    service on no server): its task is given up at once with this message, for staff."""


def module_for(tariff: Tariff) -> str:
    """The module that provisions the tariff's services: its group's (every server of a group
    runs one module); "manual" (staff to-dos) without a group, or with an empty one."""
    if tariff.server_group_id is None:
        return "manual"
    module = (
        Server.objects.filter(group_id=tariff.server_group_id)
        .order_by("pk")
        .values_list("module", flat=True)
        .first()
    )
    return module or "manual"


def is_certificate_tariff(tariff: Tariff) -> bool:
    """Is the tariff sold by a certificate authority module (its group's)?"""
    module = MODULES.get(module_for(tariff))
    return module is not None and issubclass(module, CertificateAuthorityModule)


def loads(server_ids: Iterable[int]) -> dict[int, int]:
    """{server id: its services that are not terminated or cancelled} (0 for an empty one)."""
    ids = list(server_ids)
    counts = dict.fromkeys(ids, 0)
    rows = (
        Service.objects.filter(server_id__in=ids)
        .exclude(status__in=GONE)
        .values("server_id")
        .annotate(n=Count("id"))
        .values_list("server_id", "n")
    )
    counts.update(dict(rows))
    return counts


def choose(servers: Sequence[Server], load: Mapping[int, int]) -> Server | None:
    """The enabled server with room whose share of its capacity in use is least (then the
    fewest services, then the oldest); None when every one is full or disabled."""
    candidates = [s for s in servers if s.enabled and load.get(s.pk, 0) < s.capacity]
    if not candidates:
        return None
    return min(
        candidates, key=lambda s: (Fraction(load.get(s.pk, 0), s.capacity), load.get(s.pk, 0), s.pk)
    )


def place(*, service: Service) -> Service:
    """Put the service on the least-loaded enabled server of its tariff's group and return it
    (locked and reloaded); a service already placed keeps its server. Raises NeedsAttention
    when no server of the group has room.

    The group's enabled servers are locked (after the service, in primary-key order) while
    their load is counted, so two workers placing at once never both take a server's last
    place."""
    with transaction.atomic():
        service = lifecycle.lock(service)
        if service.server_id is not None:
            return service
        group_id = service.tariff.server_group_id
        if group_id is None:
            raise NeedsAttention(_("The service's tariff names no server group."))
        servers = list(
            Server.objects.select_for_update()
            .filter(group_id=group_id, enabled=True)
            .order_by("pk")
        )
        server = choose(servers, loads(s.pk for s in servers))
        if server is None:
            group = service.tariff.server_group
            raise NeedsAttention(
                _(
                    "No enabled server of the group «%(group)s» has room for a new service: add "
                    "a server or raise a capacity, then retry."
                )
                % {"group": group.code if group else group_id}
            )
        service.server = server
        service.provisioning_module = server.module
        service.save(update_fields=["server", "provisioning_module"])
    return service


def ensure_password(*, service: Service) -> str:
    """The service's password, generated and kept (encrypted) first if it has none."""
    return _ensure_secret(service, generate_password)


def ensure_private_key(*, service: Service) -> str:
    """A certificate service's private key (ca.py), generated and kept (encrypted, in the
    service's secret) first if it has none: a retried order uses the same key."""
    return _ensure_secret(service, make_private_key)


def _ensure_secret(service: Service, make: Callable[[], str]) -> str:
    """The service's secret (a password or a private key), made and kept first if it has none,
    under the service's lock: two workers never keep two different ones."""
    if not service.password:
        with transaction.atomic():
            locked = lifecycle.lock(service)
            if not locked.password:
                locked.password = Secret.of(make())
                locked.save(update_fields=["password"])
            service.password = locked.password
    return service.password.reveal()


def generate_password(length: int = 16) -> str:
    """Letters and digits, at least one of each kind control panels usually ask for."""
    while True:
        text = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in text)
            and any(c.isupper() for c in text)
            and any(c.isdigit() for c in text)
        ):
            return text


ALPHABET = string.ascii_letters + string.digits


def record_result(
    *,
    service: Service,
    remote_id: str = "",
    password: str = "",
    access: Mapping[str, Any] | None = None,
) -> list[str]:
    """Keep what a module reported about the service (its id on the server, the password it
    set, the access details); empty values change nothing. Returns the fields written."""
    values: dict[str, Any] = {}
    if remote_id:
        values["remote_id"] = remote_id
    if password:
        values["password"] = Secret.of(password)
    if access:
        values["access"] = {**(service.access or {}), **dict(access)}
    if values:
        Service.objects.filter(pk=service.pk).update(**values)
        for name, value in values.items():
            setattr(service, name, value)
    return sorted(values)
