"""What a customer needs to use a service, and the module calls made outside its lifecycle.

The lifecycle's calls (create, suspend, ...) are durable tasks (services.tasks). The calls here
are asked for by a person waiting for the answer: a new password (`reset_password`), a single
sign-on link into the control panel (`login_url`), the remote state (`sync`). Each is made
outside any transaction (a slow control panel never holds a database lock), and only when the
service's module declares the capability; what a call learns is stored afterwards, in its own
short transaction (a new password encrypted, through services.placement).

The password is shown to the customer once: the first time the service page is opened after
the service is created (`reveal_password` marks `Service.password_shown_at`), then masked; a
reset sets a new one and clears the mark, so the new one is shown once too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.core import clock
from hutor.core.secrets import MASK
from hutor.services import placement
from hutor.services.exceptions import ServiceError
from hutor.services.lifecycle import provision
from hutor.services.models import (
    ProvisioningOperation,
    ProvisioningStatus,
    ProvisioningTask,
    Service,
    ServiceStatus,
)
from hutor.services.provisioning import SyncResult, context_for, get_module
from hutor.services.tasks import TASKS

log = logging.getLogger("hutor.provisioning")

T = TypeVar("T")

# The state of a service's creation on its server (`module_state`).
NOT_CREATED = ""  # no create task yet: an unpaid order
SETTING_UP = "setting_up"  # its create task is queued, running, or a staff to-do
NEEDS_ATTENTION = "needs_attention"  # its create task failed: staff are on it
READY = "ready"  # created: its access details are there

# Tasks that are not over yet: a new create waits until they are.
UNFINISHED = (ProvisioningStatus.PENDING, ProvisioningStatus.RUNNING)


class AccessError(ServiceError):
    """A module call outside the lifecycle could not be made or failed. `str()` is for the
    person who asked (a customer too); `detail` keeps the module's own words for staff, with
    the secret of the call masked."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def module_state(service: Service) -> str:
    """Where the service's creation on its server stands, from its latest create task."""
    status = (
        ProvisioningTask.objects.filter(service=service, operation=ProvisioningOperation.CREATE)
        .order_by("-created_at", "-id")
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        return NOT_CREATED
    if status == ProvisioningStatus.DONE:
        return READY
    if status == ProvisioningStatus.FAILED:
        return NEEDS_ATTENTION
    return SETTING_UP


def supports(service: Service, capability: str) -> bool:
    """Whether the service's module declares the capability (an unknown module: no)."""
    try:
        return get_module(service.provisioning_module).supports(capability)
    except LookupError:
        return False


def reveal_password(service: Service) -> str:
    """The service's password the first time it is asked for once the service is created, and
    "" ever after (until a reset). The mark is set by one conditional UPDATE, so two pages
    opened at once do not both show it."""
    if not has_password(service) or service.password_shown_at is not None:
        return ""
    if module_state(service) != READY:
        return ""
    now = clock.now()
    marked = Service.objects.filter(pk=service.pk, password_shown_at__isnull=True).update(
        password_shown_at=now
    )
    service.password_shown_at = now
    return service.password.reveal() if marked else ""


# The access details a module reports (Service.access) that a customer needs, in this order;
# other keys (a VM's number on the hypervisor) are for staff.
ACCESS_LABELS = {
    "panel_url": gettext_lazy("Control panel"),
    "login": gettext_lazy("Login"),
    "domain": gettext_lazy("Domain"),
    "zone": gettext_lazy("DNS zone"),
    "hostname": gettext_lazy("Host name"),
    "ip": gettext_lazy("IP address"),
    "nameservers": gettext_lazy("Name servers"),
}


def access_rows(service: Service) -> list[dict[str, object]]:
    """The customer's access details of a service, labelled, for its panel page and its
    "ready" email: [{"key", "label", "value", "link"} or {"key", "label", "lines"}]."""
    rows: list[dict[str, object]] = []
    details = service.access if isinstance(service.access, dict) else {}
    for key, label in ACCESS_LABELS.items():
        value = details.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list | tuple):
            rows.append({"key": key, "label": label, "lines": [str(v) for v in value]})
        else:
            text = str(value)
            link = key == "panel_url" and text.startswith(("https://", "http://"))
            rows.append({"key": key, "label": label, "value": text, "link": link})
    return rows


def has_password(service: Service) -> bool:
    """Does the service have a password for the customer (a certificate's secret is its key)?"""
    if not service.password:
        return False
    try:
        return not get_module(service.provisioning_module).wants_private_key
    except LookupError:
        return True


def _ready(service: Service, capability: str) -> None:
    if not supports(service, capability):
        raise AccessError(_("This is not available for this service."))
    if service.status != ServiceStatus.ACTIVE:
        raise AccessError(_("This is available only while the service is active."))
    if module_state(service) != READY:
        raise AccessError(_("The service is still being set up: try again a little later."))


def _call(service: Service, what: str, call: Callable[[], T], secret: str = "") -> T:
    """Make a module call outside any transaction; any failure becomes an AccessError (a plain
    message, the module's words kept for staff and in the log)."""
    try:
        return call()
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        if secret:
            detail = detail.replace(secret, MASK)
        log.warning("provisioning %s of service %s failed: %s", what, service.pk, detail)
        raise AccessError(
            _("The control panel did not answer as expected. Please try again later."), detail
        ) from exc


def reset_password(*, service: Service) -> Service:
    """Set a new password on the remote side, then keep it (encrypted) on the service, to be
    shown once. Raises AccessError when the module cannot or the call fails (the old password
    stays in force then)."""
    _ready(service, "reset_password")
    module = get_module(service.provisioning_module)
    password = placement.generate_password()
    result = _call(
        service,
        "reset_password",
        lambda: module.reset_password(context_for(service), password=password),
        secret=password,
    )
    if not result.done:
        raise AccessError(_("The new password was not set. Please try again later."), result.note)
    with transaction.atomic():
        placement.record_result(service=service, password=result.password or password)
        Service.objects.filter(pk=service.pk).update(password_shown_at=None)
    service.password_shown_at = None
    return service


def login_url(*, service: Service) -> str:
    """A single sign-on link into the service's control panel (http or https only)."""
    _ready(service, "login_url")
    module = get_module(service.provisioning_module)
    url = _call(service, "login_url", lambda: module.login_url(context_for(service)))
    if not str(url).startswith(("https://", "http://")):
        raise AccessError(
            _("The control panel did not answer as expected. Please try again later."),
            f"not a link: {str(url)[:100]}",
        )
    return str(url)


def sync(*, service: Service) -> SyncResult:
    """The remote state and usage of the service, as its server reports it now."""
    if not supports(service, "sync"):
        raise AccessError(_("This is not available for this service."))
    if service.server_id is None and service.tariff.server_group_id is not None:
        raise AccessError(_("The service is on no server yet."))
    module = get_module(service.provisioning_module)
    return _call(service, "sync", lambda: module.sync(context_for(service)))


def rerun_create(*, service: Service) -> ProvisioningTask:
    """Queue the service's create again (staff, after fixing what made it fail, or when the
    server lost the account), in the caller's transaction under the service's lock
    (services.lifecycle.lock). A failed create is itself sent back to the worker with a fresh
    set of tries (the queue's requeue: no dead letter is left behind for someone to retry
    later); otherwise a new create task is queued. Modules are idempotent: an account that
    exists is success."""
    if service.status != ServiceStatus.ACTIVE:
        raise ServiceError(_("Only an active service can be created again."))
    if service.provisioning.filter(status__in=UNFINISHED).exists():
        raise ServiceError(_("A task of this service is still queued or running."))
    latest = (
        service.provisioning.filter(operation=ProvisioningOperation.CREATE)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is not None and latest.status == ProvisioningStatus.FAILED:
        requeued = TASKS.requeue(latest.pk)
        if requeued is not None:
            return requeued
    return provision(service=service, operation=ProvisioningOperation.CREATE)
