"""Reconciliation: what each server holds, compared with what billing says it should hold
(`hutor provisioning reconcile`, and report-only in the daily billing run).

For each enabled server (or the one named) whose module declares `list`, the module lists
every account the server holds, outside any transaction; they are matched with the services
placed on that server (`Service.server`) by the service's remote id. What differs is a
`Finding`:

    missing          active or suspended in billing, not on the server
    suspended_there  active in billing, suspended on the server
    active_there     suspended in billing, active on the server
    leftover         terminated or cancelled in billing, still on the server
    unknown          on the server, no service of this server has its remote id (another
                     owner's zone, a site made by hand): reported, never touched

A service with a provisioning task queued or running is left out: the queue is about to change
its remote side. Where a live service and a terminated one share a remote id (a domain ordered
again), the live one owns it: nothing is reported for the old one.

`fix=True` queues, for each finding but `unknown`, the module call of the lifecycle transition
that brings the server in line with billing (`lifecycle.provision`: create, unsuspend, suspend,
terminate); `hutor worker` carries it out. Billing is never changed. The last result per server
is kept in the cache for the desk (`latest()`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.core import clock
from hutor.core.secrets import MASK
from hutor.servers.models import Server
from hutor.services import lifecycle
from hutor.services.exceptions import ServiceError
from hutor.services.models import ProvisioningStatus, ProvisioningTask, Service, ServiceStatus
from hutor.services.provisioning import RemoteAccount, RemoteState, ServerAccess, get_module

S = ServiceStatus

MISSING = "missing"
SUSPENDED_THERE = "suspended_there"
ACTIVE_THERE = "active_there"
LEFTOVER = "leftover"
UNKNOWN = "unknown"

KINDS = {
    MISSING: gettext_lazy("in billing, missing on the server"),
    SUSPENDED_THERE: gettext_lazy("active in billing, suspended on the server"),
    ACTIVE_THERE: gettext_lazy("suspended in billing, active on the server"),
    LEFTOVER: gettext_lazy("terminated in billing, still on the server"),
    UNKNOWN: gettext_lazy("on the server, unknown to billing"),
}

# (kind, billing status) → the lifecycle transitions whose module calls bring the server in
# line, in order (a suspended service missing there is created, then suspended).
FIXES: dict[tuple[str, str], tuple[str, ...]] = {
    (MISSING, S.ACTIVE): ("activate",),
    (MISSING, S.SUSPENDED): ("activate", "suspend"),
    (SUSPENDED_THERE, S.ACTIVE): ("reactivate",),
    (ACTIVE_THERE, S.SUSPENDED): ("suspend",),
    (LEFTOVER, S.TERMINATED): ("terminate",),
    (LEFTOVER, S.CANCELLED): ("terminate",),
}

LIVE = (S.ACTIVE, S.SUSPENDED, S.EXPIRED)
GONE = (S.TERMINATED, S.CANCELLED)
IN_FLIGHT = (ProvisioningStatus.PENDING, ProvisioningStatus.RUNNING)
CACHE_KEY = "hutor.services.reconcile.latest"


class UnknownServer(ServiceError):
    """`--server` names no server."""


class ServerNotListed(Exception):
    """A server's accounts could not be listed (the daily run counts it as an error)."""


@dataclass(frozen=True)
class Finding:
    kind: str
    server: str
    service_id: int | None
    remote_id: str
    billing_state: str  # the service's status; "" when no service has it
    remote_state: str  # RemoteState
    owner: str = ""  # whom the server says it belongs to
    queued: tuple[str, ...] = ()  # the operations `fix` queued

    @property
    def label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))


@dataclass
class ServerReport:
    server: str
    findings: list[Finding] = field(default_factory=list)
    error: str = ""  # the server could not be listed
    at: str = ""


@dataclass
class Report:
    servers: list[ServerReport] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.servers for f in s.findings]

    @property
    def errors(self) -> list[ServerReport]:
        return [s for s in self.servers if s.error]


def compare(
    server: str,
    accounts: Iterable[RemoteAccount],
    services: Iterable[Service],
    busy: Iterable[int] = (),
) -> list[Finding]:
    """The differences between what a server holds and the services placed on it."""
    busy = set(busy)
    remote = {a.remote_id: a for a in accounts if a.remote_id}
    by_remote: dict[str, list[Service]] = {}
    findings: list[Finding] = []
    for service in sorted(services, key=lambda s: s.pk):
        if service.remote_id:
            by_remote.setdefault(service.remote_id, []).append(service)
        if service.pk in busy:
            continue
        account = remote.get(service.remote_id) if service.remote_id else None
        state = account.state if account else RemoteState.MISSING
        if service.status in (S.ACTIVE, S.SUSPENDED) and account is None:
            kind = MISSING
        elif service.status == S.ACTIVE and state == RemoteState.SUSPENDED:
            kind = SUSPENDED_THERE
        elif service.status == S.SUSPENDED and state == RemoteState.ACTIVE:
            kind = ACTIVE_THERE
        else:
            continue
        findings.append(_finding(kind, server, service, state, account))
    for remote_id, account in remote.items():
        known = by_remote.get(remote_id, [])
        if not known:
            findings.append(
                Finding(UNKNOWN, server, None, remote_id, "", account.state, account.owner)
            )
            continue
        if any(s.status in LIVE for s in known):
            continue  # a live service owns it (compared above)
        for service in known:
            if service.status in GONE and service.pk not in busy:
                findings.append(_finding(LEFTOVER, server, service, account.state, account))
                break  # one finding (and one terminate) per account
    return findings


def _finding(
    kind: str, server: str, service: Service, state: str, account: RemoteAccount | None
) -> Finding:
    return Finding(
        kind,
        server,
        service.pk,
        service.remote_id,
        service.status,
        state,
        account.owner if account else "",
    )


def check(server: Server) -> ServerReport | None:
    """List one server and compare (None when its module cannot list). Makes the module's
    calls: never inside a transaction."""
    report = ServerReport(server.name, at=clock.now().isoformat())
    try:
        module = get_module(server.module)
    except LookupError as exc:
        report.error = str(exc)
        return report
    if not module.supports("list"):
        return None
    password = ""
    try:
        access = ServerAccess.of(server)
        password = access.password
        accounts = list(module.list(access))
    except Exception as exc:
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        report.error = text.replace(password, MASK) if password else text
        return report
    # Read after the list: a service created meanwhile has its remote id by now.
    services = Service.objects.filter(server=server).only("pk", "status", "remote_id")
    busy = ProvisioningTask.objects.filter(
        service__server=server, status__in=IN_FLIGHT
    ).values_list("service_id", flat=True)
    report.findings = compare(server.name, accounts, services, busy)
    return report


def fix(finding: Finding) -> tuple[str, ...]:
    """Queue the module calls that bring the server in line with billing for one finding;
    returns the operations queued (none when billing has moved on since, or a task is
    already queued for the service). Billing state is not touched."""
    if finding.service_id is None:
        return ()  # unknown to billing: only reported
    transitions = FIXES.get((finding.kind, finding.billing_state), ())
    if not transitions:
        return ()
    queued: list[str] = []
    with transaction.atomic():
        service = lifecycle.lock(finding.service_id)
        if service.status != finding.billing_state:
            return ()
        if service.provisioning.filter(status__in=IN_FLIGHT).exists():
            return ()
        for name in transitions:
            operation = lifecycle.TRANSITIONS[name].provisioning
            if operation:
                lifecycle.provision(service=service, operation=operation)
                queued.append(operation)
    return tuple(queued)


def servers_to_check(name: str | None = None) -> list[Server]:
    if name is not None:
        server = Server.objects.filter(name=name).first()
        if server is None:
            raise UnknownServer(_("no server «%(name)s»") % {"name": name})
        return [server]
    return list(Server.objects.filter(enabled=True).order_by("name"))


def run(*, server: str | None = None, fix_drift: bool = False) -> Report:
    """Check every enabled server whose module can list (or the one named); with `fix_drift`,
    queue the fixes. Keeps the result for the desk."""
    report = Report()
    for each in servers_to_check(server):
        result = check(each)
        if result is None:
            continue
        if fix_drift:
            result.findings = [_with_fix(f) for f in result.findings]
        report.servers.append(result)
    _keep(report, whole=server is None)
    return report


def _with_fix(finding: Finding) -> Finding:
    queued = fix(finding)
    if not queued:
        return finding
    return Finding(**{**asdict(finding), "queued": queued})


# --- the last result, for the desk --------------------------------------------------------


def _keep(report: Report, *, whole: bool) -> None:
    """Keep the last result of each server checked; a run over every server forgets the ones
    it no longer checks."""
    kept: dict[str, Any] = {} if whole else dict(cache.get(CACHE_KEY) or {})
    for result in report.servers:
        kept[result.server] = {
            "at": result.at,
            "error": result.error,
            "findings": [asdict(f) for f in result.findings],
        }
    cache.set(CACHE_KEY, kept, timeout=None)


def latest() -> list[ServerReport]:
    """The last result kept for each server, by server name."""
    kept = cache.get(CACHE_KEY) or {}
    reports = []
    for name in sorted(kept):
        item = kept[name]
        try:
            findings = [
                Finding(**{**f, "queued": tuple(f.get("queued") or ())})
                for f in item.get("findings", [])
            ]
        except (TypeError, AttributeError):  # kept by another version of Hutor
            continue
        reports.append(ServerReport(name, findings, item.get("error", ""), item.get("at", "")))
    return reports


def checked_at(report: ServerReport) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(report.at)
    except ValueError:
        return None


__all__: Sequence[str] = [
    "FIXES",
    "KINDS",
    "Finding",
    "Report",
    "ServerNotListed",
    "ServerReport",
    "UnknownServer",
    "check",
    "compare",
    "fix",
    "latest",
    "run",
]
