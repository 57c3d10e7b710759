"""EppRegistrar: a domain registry spoken to in EPP (docs/domains.md, "EPP").

The server is the registry's EPP endpoint: host, port (700 when blank), the registrar's clID
as username and its EPP password; settings (all optional):

    prefix        contact ids Hutor makes start with it ("HUTOR-" when unset)
    ca_file       the CA (or the certificate itself) the registry's TLS certificate is checked
                  against; the system's CAs when unset
    cert_file, key_file   the registrar's client certificate and key, for a registry that
                  demands one
    nameservers   the default nameservers of a domain ordered without its own
    host_objects  true (default): nameservers are host objects, checked and created first
                  (RFC 5732); false: host attributes inside the domain (RFC 5731 section 1.1)
    contacts      the contact types the registrant is also given ["admin", "tech"] (default)
    check_batch   names per <domain:check> (10)
    timeout, keepalive    seconds (30, 300)

Every call is idempotent for the worker's retry: a create whose domain exists as ours (our
clID, our registrant) is success, so is a renewal the registry already shows, a transfer
already pending for us, a lock already in place.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from collections.abc import Sequence

from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningResult,
    ServerAccess,
)
from hutor.services.provisioning.epp import objects
from hutor.services.provisioning.epp.client import EppSession, close_sessions, session
from hutor.services.provisioning.epp.protocol import EppRefused
from hutor.services.provisioning.registrar import (
    Availability,
    DomainInfo,
    Refusal,
    RegistrarModule,
    ascii_name,
    unicode_name,
    years,
)

DEFAULT_PREFIX = "HUTOR-"
# A domain create refused for the name by the zone's rules (RFC 5730 3: parameter value policy
# error, data management policy violation): the customer is refunded, as for a name taken.
NAME_REFUSED = frozenset({2306, 2308})
# eppcom:trStatusType values of a transfer that went through or will (RFC 5730 section 2.9.3.4)
TRANSFER_UNDER_WAY = ("pending", "clientApproved", "serverApproved")
_PUNCTUATION = "!#$%*+-=?@"


def new_auth_code() -> str:
    """A domain's or contact's authInfo password: 16 characters with a lower and an upper
    case letter, a digit and a sign (what registries' password policies ask for)."""
    alphabet = string.ascii_letters + string.digits + _PUNCTUATION
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(16))
        classes = (str.islower, str.isupper, str.isdigit, _PUNCTUATION.__contains__)
        if all(any(test(c) for c in code) for test in classes):
            return code


def add_years(day: dt.date, count: int) -> dt.date:
    try:
        return day.replace(year=day.year + count)
    except ValueError:  # 29 February
        return day.replace(year=day.year + count, day=28)


class EppRegistrar(RegistrarModule):
    """A registry over EPP (RFC 5730-5734, RFC 3915): registration, renewal, transfers,
    nameservers, registrant data and the transfer lock."""

    name = "epp"
    capabilities = frozenset(
        {
            "create",
            "renew",
            "availability",
            "info",
            "transfer_in",
            "transfer_out",
            "set_nameservers",
            "update_contacts",
            "lock",
            "restore",
            "check",
        }
    )

    @classmethod
    def close(cls) -> None:
        """Log the pooled registry sessions out (the worker stopping)."""
        close_sessions()

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _server(ctx: ProvisioningContext) -> ServerAccess:
        if ctx.server is None:
            raise EppRefused("epp: the service is on no server")
        return ctx.server

    @staticmethod
    def _domain(ctx: ProvisioningContext) -> str:
        name = ctx.remote_id or ctx.service.identifier
        if not name:
            raise EppRefused("epp: the service has no domain name")
        try:
            return ascii_name(name)
        except UnicodeError:  # idna.IDNAError: no retry makes it a domain name
            raise EppRefused(f"epp: {name!r} is not a valid domain name") from None

    @staticmethod
    def _info(epp: EppSession, name: str) -> objects.DomainData:
        response = epp.request("info", objects.domain_info(name), what=f"domain info {name}")
        data = objects.read_domain_info(response)
        epp.hide(data.auth_code)
        return data

    @staticmethod
    def _host_objects(server: ServerAccess) -> bool:
        return server.settings.get("host_objects", True) is not False

    def _nameservers(self, ctx: ProvisioningContext, server: ServerAccess) -> list[str]:
        given = ctx.nameservers or tuple(server.settings.get("nameservers") or ())
        hosts: list[str] = []
        for given_host in given:
            try:
                host = ascii_name(given_host)
            except UnicodeError:
                raise EppRefused(f"{server.name}: {given_host!r} is not a host name") from None
            if host not in hosts:
                hosts.append(host)
        return hosts

    def _ensure_hosts(self, epp: EppSession, server: ServerAccess, hosts: Sequence[str]) -> None:
        """Host objects for the nameservers (RFC 5732), where the registry wants them: those
        <host:check> finds free are created (a host outside the registry's zones needs no
        address; one inside a domain it serves is refused without, in the registry's words)."""
        if not hosts or not self._host_objects(server):
            return
        free = objects.read_host_check(epp.request("check", objects.host_check(hosts)))
        for host in hosts:
            if free.get(host, False):
                try:
                    epp.request("create", objects.host_create(host), what=f"host create {host}")
                except EppRefused as exc:
                    if exc.code != 2302:  # another call made it meanwhile
                        raise

    def _registrant_handle(self, epp: EppSession, ctx: ProvisioningContext) -> str:
        """The registrant's contact id, creating the contact when it has none. The id is the
        server's prefix and the service's number, so a retried create finds its contact
        (2302, and <contact:info> shows it is ours) instead of making a second one."""
        registrant, server = ctx.registrant, self._server(ctx)
        if registrant is None:
            raise EppRefused(f"{server.name}: the domain has no registrant to register it to")
        if registrant.handle:
            return registrant.handle
        prefix = str(server.settings.get("prefix") or DEFAULT_PREFIX)
        handle = f"{prefix}{ctx.service.pk}"
        if not 3 <= len(handle) <= 16:  # eppcom:clIDType
            raise EppRefused(f"{server.name}: contact id {handle!r} is not 3-16 characters")
        auth = new_auth_code()
        epp.hide(auth)
        command = objects.contact_create(handle, registrant, auth)
        try:
            epp.request("create", command, what=f"contact create {handle}")
        except EppRefused as exc:
            if exc.code != 2302:
                raise
            info = epp.request("info", objects.contact_info(handle), what=f"contact info {handle}")
            if objects.read_contact_sponsor(info) != server.username:
                taken = f"{exc} (the contact belongs to another registrar)"
                raise EppRefused(taken, exc.code) from None
        return handle

    # -- the lifecycle -------------------------------------------------------------------

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Register the domain (a transfer in when the order carries an auth code): the
        registrant's contact first when it has no id, host objects for the nameservers, then
        <domain:create>. 2302 for a domain that <domain:info> shows is ours (our clID, our
        registrant) is success: an earlier try made it and its answer was lost."""
        if ctx.auth_code:
            return self.transfer_in(ctx)
        server, name = self._server(ctx), self._domain(ctx)
        hosts = self._nameservers(ctx, server)
        with session(server) as epp:
            handle = self._registrant_handle(epp, ctx)
            self._ensure_hosts(epp, server, hosts)
            kinds = server.settings.get("contacts", ["admin", "tech"])
            auth = new_auth_code()
            epp.hide(auth)
            command = objects.domain_create(
                name,
                years=years(ctx),
                nameservers=hosts,
                host_objects=self._host_objects(server),
                registrant=handle,
                contacts={kind: handle for kind in kinds},
                auth_code=auth,
            )
            try:
                response = epp.request("create", command, what=f"domain create {name}")
                expires = objects.read_expiry(response, "creData")
                note = f"{name} registered"
            except EppRefused as exc:
                if exc.code in NAME_REFUSED:
                    exc.refusal = Refusal.NOT_ALLOWED  # the zone's rules: no retry registers it
                if exc.code != 2302:
                    raise
                data = self._info(epp, name)
                if data.sponsor != server.username or data.registrant != handle:
                    exc.refusal = Refusal.TAKEN  # someone else's: refunded (services.refusals)
                    raise
                expires, note = data.expires_on, f"{name} was registered already (ours)"
        access: dict[str, object] = {"registrant_handle": handle, "nameservers": hosts}
        if expires:
            access["expires_on"] = expires.isoformat()
        return ProvisioningResult(done=True, note=note, remote_id=name, access=access)

    def renew(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """<domain:renew> from the expiry billing believes in (`expires_on`; the registry's,
        by <domain:info>, when not given). A refusal when <domain:info> already shows the
        renewed expiry is success: a retry of a renewal that went through."""
        server, name, count = self._server(ctx), self._domain(ctx), years(ctx)
        given = ctx.operation_params.get("expires_on", "")
        with session(server) as epp:
            current = dt.date.fromisoformat(given) if given else self._info(epp, name).expires_on
            if current is None:
                raise EppRefused(f"{server.name}: the registry shows no expiry for {name}")
            target = add_years(current, count)
            command = objects.domain_renew(name, current_expiry=current, years=count)
            try:
                response = epp.request("renew", command, what=f"domain renew {name}")
                expires = objects.read_expiry(response, "renData") or target
                note = f"{name} renewed for {count} y, until {expires.isoformat()}"
            except EppRefused:
                data = self._info(epp, name)
                if data.expires_on != target:
                    raise
                expires, note = target, f"{name} was renewed already, until {target.isoformat()}"
        return ProvisioningResult(
            done=True, note=note, remote_id=name, access={"expires_on": expires.isoformat()}
        )

    # -- the registrar's own -------------------------------------------------------------

    def availability(self, server: ServerAccess, names: Sequence[str]) -> list[Availability]:
        """<domain:check>, several names per command (`check_batch`)."""
        asked: list[tuple[str, str]] = []
        for name in names:
            try:
                asked.append((name, ascii_name(name)))
            except UnicodeError:  # idna.IDNAError
                asked.append((name, ""))
        batch = max(1, int(server.settings.get("check_batch") or 10))
        wanted = [a for _n, a in asked if a]
        found: dict[str, tuple[bool, str]] = {}
        with session(server) as epp:
            for start in range(0, len(wanted), batch):
                chunk = wanted[start : start + batch]
                response = epp.request("check", objects.domain_check(chunk), what="domain check")
                found.update(objects.read_domain_check(response))
        answers = []
        for name, ascii_form in asked:
            available, reason = found.get(ascii_form, (False, "not a valid domain name"))
            answers.append(Availability(name=name, available=available, reason=reason))
        return answers

    def info(self, ctx: ProvisioningContext) -> DomainInfo:
        """<domain:info> with the rgp:infData grace statuses when the registry sends them."""
        server, name = self._server(ctx), self._domain(ctx)
        with session(server) as epp:
            data = self._info(epp, name)
        return DomainInfo(
            name=unicode_name(data.name or name),
            expires_on=data.expires_on,
            statuses=data.statuses,
            nameservers=data.nameservers,
            locked=data.locked,
            registrant_handle=data.registrant,
            grace=data.grace,
        )

    def transfer_in(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """<domain:transfer op="request"> with the auth code; done once the registry took it
        (1001: pending, the losing registrar has days to answer). A refusal when
        <transfer op="query"> shows a transfer to us pending or approved is success."""
        server, name = self._server(ctx), self._domain(ctx)
        if not ctx.auth_code:
            raise EppRefused(f"{server.name}: no auth code to transfer {name} with")
        with session(server) as epp:
            epp.hide(ctx.auth_code)
            command = objects.domain_transfer(name, ctx.auth_code)
            try:
                response = epp.request(
                    "transfer", command, op="request", what=f"domain transfer {name}"
                )
                transfer = objects.read_transfer(response)
            except EppRefused as refusal:
                try:
                    query = epp.request(
                        "transfer", objects.domain_transfer(name, ctx.auth_code), op="query"
                    )
                except EppRefused:
                    raise refusal from None
                transfer = objects.read_transfer(query)
                ours = transfer.gaining == server.username
                if not ours or transfer.status not in TRANSFER_UNDER_WAY:
                    raise refusal from None
        return ProvisioningResult(
            done=True,
            note=f"transfer of {name} requested: {transfer.status}",
            remote_id=name,
            access={"transfer_status": transfer.status},
        )

    def transfer_out(self, ctx: ProvisioningContext) -> str:
        """Unlock (remove clientTransferProhibited) and return the auth code <domain:info>
        shows; a fresh one is set when the registry shows none."""
        server, name = self._server(ctx), self._domain(ctx)
        with session(server) as epp:
            data = self._info(epp, name)
            code = data.auth_code or new_auth_code()
            epp.hide(code)
            unlock = [objects.LOCK_STATUS] if data.locked else []
            if unlock or not data.auth_code:
                command = objects.domain_update(
                    name, rem_status=unlock, auth_code="" if data.auth_code else code
                )
                epp.request("update", command, what=f"domain update {name}")
        return code

    def set_nameservers(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """<domain:update> adding and removing what differs from `ctx.nameservers`."""
        server, name = self._server(ctx), self._domain(ctx)
        wanted = self._nameservers(ctx, server)
        if not wanted:
            raise EppRefused(f"{server.name}: no nameservers to set for {name}")
        with session(server) as epp:
            data = self._info(epp, name)
            add = [h for h in wanted if h not in data.nameservers]
            remove = [h for h in data.nameservers if h not in wanted]
            if add or remove:
                self._ensure_hosts(epp, server, add)
                command = objects.domain_update(
                    name, add_ns=add, rem_ns=remove, host_objects=self._host_objects(server)
                )
                epp.request("update", command, what=f"domain update {name}")
        return ProvisioningResult(
            done=True,
            note=f"nameservers of {name}: {', '.join(wanted)}",
            access={"nameservers": wanted},
        )

    def update_contacts(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """<contact:update> of the registrant's contact with `ctx.registrant`'s data."""
        server, name = self._server(ctx), self._domain(ctx)
        if ctx.registrant is None:
            raise EppRefused(f"{server.name}: no registrant data for {name}")
        with session(server) as epp:
            handle = ctx.registrant.handle or self._info(epp, name).registrant
            command = objects.contact_update(handle, ctx.registrant)
            epp.request("update", command, what=f"contact update {handle}")
        return ProvisioningResult(done=True, note=f"contact {handle} updated")

    def lock(self, ctx: ProvisioningContext, *, locked: bool) -> ProvisioningResult:
        """clientTransferProhibited added or removed; nothing sent when already so."""
        server, name = self._server(ctx), self._domain(ctx)
        with session(server) as epp:
            data = self._info(epp, name)
            if data.locked != locked:
                status = [objects.LOCK_STATUS]
                command = objects.domain_update(
                    name, add_status=status if locked else (), rem_status=() if locked else status
                )
                epp.request("update", command, what=f"domain update {name}")
        what = "locked" if locked else "unlocked"
        return ProvisioningResult(done=True, note=f"{name} {what}")

    def restore(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """RFC 3915's restore request for a domain in its redemption period. Nothing is sent
        for one that is not (restored already: a retry), and a refusal is success when the
        registry meanwhile shows it out of redemption."""
        server, name = self._server(ctx), self._domain(ctx)
        with session(server) as epp:
            if "redemptionPeriod" not in self._info(epp, name).grace:
                return ProvisioningResult(done=True, note=f"{name} is not in redemption")
            command = objects.domain_update(name, empty_chg=True)
            try:
                epp.request(
                    "update",
                    command,
                    extension=objects.rgp_restore_request(),
                    what=f"domain restore {name}",
                )
            except EppRefused:
                if "redemptionPeriod" in self._info(epp, name).grace:
                    raise
        return ProvisioningResult(done=True, note=f"{name} restored from redemption")

    def check(self, server: ServerAccess) -> str:
        """Log in (when no session is open) and say <hello>."""
        with session(server) as epp:
            greeting = epp.hello()
        return f"EPP server {greeting.server_id}, logged in as {server.username}"
