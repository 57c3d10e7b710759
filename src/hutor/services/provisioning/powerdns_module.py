"""The "powerdns" module: DNS hosting on PowerDNS Authoritative, through its HTTP API
(the client is powerdns.py; docs/provisioning.md, "PowerDNS Authoritative").

A service's zone is its domain. The server is the PowerDNS webserver: host and port (8081 when
blank), TLS when a proxy gives it, the API key as the server's password (encrypted at rest);
its settings may give `nameservers` (["ns1.example.net", "ns2.example.net"]), `kind` ("Native"
or "Master"), `server_id` ("localhost") and `timeout`. The tariff's module parameters give the
records `template` (a list of {name, type, content, ttl}), optionally its own `nameservers`,
and any value the template's placeholders name (`{"ip": "203.0.113.10"}`).

create writes the zone owned by "hutor:<billing account>:<service id>" in PowerDNS's `account`
field, so a retried create finds its own zone and someone else's is refused; suspend disables
every record but the apex SOA and NS; unsuspend enables them; terminate deletes the zone (a
missing one is success). A zone has no tariff to change and no password. What PowerDNS refuses
(a zone taken, a record it does not accept, a wrong key, a zone missing when it is suspended)
needs staff; what fails in passing (no answer, HTTP 5xx) is retried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningError,
    ProvisioningModule,
    ProvisioningRefused,
    ProvisioningResult,
    RemoteAccount,
    RemoteState,
    ServerAccess,
    SyncResult,
)
from hutor.services.provisioning.powerdns import (
    DEFAULT_TIMEOUT,
    PowerDNSClient,
    PowerDNSError,
    Zone,
)
from hutor.services.provisioning.zone_template import canonical_zone

DEFAULT_PORT = 8081
OWNER_PREFIX = "hutor:"
T = TypeVar("T")


class PowerDNSRefusedCall(ProvisioningRefused):
    """PowerDNS refused: needs staff (the message says what)."""


class PowerDNSFailedCall(ProvisioningError):
    """PowerDNS did not answer, or failed in passing: retried."""


def owner(ctx: ProvisioningContext) -> str:
    """The zone's `account` on PowerDNS: whose service it is, so reconciliation and a retried
    create can tell our zone from a stranger's."""
    service = ctx.service
    return f"{OWNER_PREFIX}{service.billing_account.number}:{service.pk}"


class PowerDNSModule(ProvisioningModule):
    name = "powerdns"
    capabilities = frozenset(
        {"create", "suspend", "unsuspend", "terminate", "sync", "list", "check"}
    )

    def _client(self, server: ServerAccess | None) -> PowerDNSClient:
        if server is None:
            raise PowerDNSRefusedCall("the powerdns module needs a server (the PowerDNS API)")
        settings = server.settings or {}
        return PowerDNSClient(
            server.base_url(DEFAULT_PORT),
            server.password,
            server_id=str(settings.get("server_id") or "localhost"),
            kind=str(settings.get("kind") or "Native"),
            timeout=float(settings.get("timeout") or DEFAULT_TIMEOUT),
        )

    @staticmethod
    def _call(server: ServerAccess | None, what: Callable[[], T]) -> T:
        try:
            return what()
        except PowerDNSError as exc:
            where = server.name if server else "?"
            if exc.retryable:
                raise PowerDNSFailedCall(f"{where}: {exc}") from None
            raise PowerDNSRefusedCall(f"{where}: {exc}") from None
        except ValueError as exc:  # a setting that makes no API address
            raise PowerDNSRefusedCall(str(exc)) from None

    @staticmethod
    def _zone(ctx: ProvisioningContext) -> str:
        return ctx.remote_id or canonical_zone(ctx.service.identifier)

    @staticmethod
    def _nameservers(ctx: ProvisioningContext) -> list[str]:
        given = ctx.params.get("nameservers") or (ctx.server.settings if ctx.server else {}).get(
            "nameservers"
        )
        if not given or not isinstance(given, list | tuple):
            raise PowerDNSRefusedCall(
                "no nameservers: give them in the server's settings or the tariff's parameters"
            )
        return [str(n) for n in given]

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        client = self._client(ctx.server)
        nameservers = self._nameservers(ctx)
        template = ctx.params.get("template") or []
        values = {k: str(v) for k, v in ctx.params.items() if isinstance(v, str | int | float)}
        zone: Zone = self._call(
            ctx.server,
            lambda: client.create_zone(
                ctx.service.identifier,
                nameservers,
                template,
                account=owner(ctx),
                params=values,
            ),
        )
        return ProvisioningResult(
            done=True,
            note=f"zone {zone.name} on {ctx.server.name if ctx.server else '?'}",
            remote_id=zone.name,
            access={"nameservers": nameservers, "zone": zone.name.rstrip(".")},
        )

    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        client = self._client(ctx.server)
        changed = self._call(ctx.server, lambda: client.disable_zone(self._zone(ctx)))
        return ProvisioningResult(done=True, note="disabled" if changed else "already disabled")

    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        client = self._client(ctx.server)
        changed = self._call(ctx.server, lambda: client.enable_zone(self._zone(ctx)))
        return ProvisioningResult(done=True, note="enabled" if changed else "already enabled")

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        client = self._client(ctx.server)
        deleted = self._call(ctx.server, lambda: client.delete_zone(self._zone(ctx)))
        return ProvisioningResult(done=True, note="deleted" if deleted else "already gone")

    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        client = self._client(ctx.server)
        zone = self._call(ctx.server, lambda: client.get_zone(self._zone(ctx)))
        if zone is None:
            return SyncResult(state=RemoteState.MISSING)
        records = sum(len(rrset.records) for rrset in zone.rrsets)
        state = RemoteState.SUSPENDED if zone.suspended else RemoteState.ACTIVE
        return SyncResult(state=state, usage={"records": records}, access={"zone": zone.name})

    def list(self, server: ServerAccess) -> Sequence[RemoteAccount]:
        client = self._client(server)
        zones = self._call(server, client.list_zones)
        accounts: list[RemoteAccount] = []
        for item in zones:
            full = self._call(server, partial(client.get_zone, item.name))
            if full is None:  # deleted while we listed
                continue
            state = RemoteState.SUSPENDED if full.suspended else RemoteState.ACTIVE
            accounts.append(
                RemoteAccount(remote_id=full.name, state=state, owner=full.account or "")
            )
        return accounts

    def check(self, server: ServerAccess) -> str:
        client = self._client(server)
        version: Any = self._call(server, client.check)
        return f"PowerDNS {version}"
