"""cPanel & WHM: shared hosting accounts through WHM API 1 (docs/provisioning.md, "cPanel/WHM").

Every call is `GET https://host:2087/json-api/<function>?api.version=1&...` with the header
`Authorization: whm <username>:<API token>` (https://api.docs.cpanel.net/whm/tokens/); every
answer is `{"metadata": {"result": 1|0, "reason": ..., "command": ...}, "data": {...}}`
(https://api.docs.cpanel.net/whm/introduction/). The server's username is root or a reseller,
its password field holds the API token.

One service is one cPanel account, named from the service (`username_for`), on the tariff's
hosting plan (module parameter `package`). A refusal by the server (metadata.result 0: name or
domain taken, an account limit reached, an unknown plan) raises `CpanelRefused`; a server that
cannot be reached, answers 5xx or rejects the credential raises `CpanelError`, for the worker
to retry.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hutor.services.identifiers import ascii_form
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

WHM_PORT = 2087  # secure calls to WHM API 1 (https://api.docs.cpanel.net/whm/introduction/)
CPANEL_PORT = 2083  # the customer's cPanel over HTTPS
TIMEOUT = 30  # seconds; createacct and removeacct take a few on a busy server
SUSPEND_REASON = "Suspended by billing"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class CpanelError(ProvisioningError):
    """The WHM server could not be reached, answered 5xx or something unreadable, or rejected
    the credential: a retry may help (after staff fix a credential, the next retry does)."""


class CpanelRefused(CpanelError, ProvisioningRefused):
    """The WHM server refused the operation (metadata.result 0): a name or domain taken, an
    account limit reached, an unknown hosting plan. Retrying the same call will not help."""


def username_for(service_pk: int, domain: str) -> str:
    """The cPanel username of a service: three letters of its domain (punycode without its
    "xn--"), then the service's id in base 36 (five characters, zero-padded): "exa0001k".

    Follows createacct's rules (https://api.docs.cpanel.net/openapi/whm/operation/createacct/,
    parameter `username`): at most 16 characters, lower-case letters and digits, not starting
    with a digit or "test", and the first eight characters unique (databases are prefixed with
    them): the id fills characters 4-8, so two services differ there up to 36**5 (60 million)
    services. Deterministic, so a retried create finds the account it made."""
    ascii_domain = ascii_form(domain).lower().replace("xn--", "") if domain else ""
    letters = "".join(c for c in ascii_domain if "a" <= c <= "z")
    prefix = letters[:3].ljust(3, "h")
    code = ""
    n = service_pk
    while n:
        n, digit = divmod(n, 36)
        code = _BASE36[digit] + code
    name = prefix + code.rjust(5, "0")
    if name.startswith("test"):
        name = "h" + name[1:]
    return name[:16]


class WhmClient:
    """A small client for WHM API 1 over HTTPS: one GET per call, JSON back."""

    def __init__(self, server: ServerAccess, *, secrets: Iterable[str] = ()) -> None:
        self.server = server
        self.base = f"{server.base_url(WHM_PORT)}/json-api/"
        # Texts never to repeat in an error (the token, the account's password).
        self._secrets = [s for s in (server.password, *secrets) if s]

    def _context(self) -> ssl.SSLContext | None:
        if not self.server.use_tls:
            return None
        settings = self.server.settings
        context = ssl.create_default_context(cafile=settings.get("ca_file") or None)
        if settings.get("verify_tls") is False:
            # A server's own self-signed certificate, on the provider's decision.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "••••••")
        return " ".join(text.split())[:500]

    def call(self, function: str, **params: str) -> dict[str, Any]:
        """The answer of one function; raises CpanelError when there is none to read."""
        query = urllib.parse.urlencode({"api.version": "1", **params})
        request = urllib.request.Request(  # noqa: S310 (http(s) only: ServerAccess.base_url)
            f"{self.base}{function}?{query}",
            headers={
                "Authorization": f"whm {self.server.username}:{self.server.password}",
                "Accept": "application/json",
            },
        )
        where = f"{self.server.name} {function}"
        try:
            context = self._context()
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as r:  # noqa: S310
                body = r.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise CpanelError(
                    f"{where}: the server rejected the API token of "
                    f"{self.server.username!r} (HTTP {exc.code})"
                ) from None
            raise CpanelError(self._clean(f"{where}: HTTP {exc.code} {exc.reason}")) from None
        except (OSError, ValueError) as exc:  # URLError, timeouts, TLS, refused connections
            raise CpanelError(self._clean(f"{where}: {exc}")) from None
        try:
            answer = json.loads(body)
            answer["metadata"]["result"]
        except (ValueError, TypeError, KeyError):
            raise CpanelError(f"{where}: not a WHM API 1 answer") from None
        if not isinstance(answer, dict):
            raise CpanelError(f"{where}: not a WHM API 1 answer")
        return answer

    @staticmethod
    def succeeded(answer: Mapping[str, Any]) -> bool:
        return str(answer["metadata"].get("result")) == "1"

    def reason(self, answer: Mapping[str, Any]) -> str:
        return self._clean(str(answer["metadata"].get("reason") or "no reason given"))

    def ok(self, function: str, **params: str) -> dict[str, Any]:
        """The answer of a call that must succeed; CpanelRefused with the server's reason."""
        answer = self.call(function, **params)
        if not self.succeeded(answer):
            raise CpanelRefused(f"{self.server.name} {function}: {self.reason(answer)}")
        return answer

    def find(self, user: str) -> dict[str, Any] | None:
        """The account of that exact username, or None: listaccts with an exact user search
        (https://api.docs.cpanel.net/openapi/whm/operation/listaccts/) answers an empty list
        for a missing one, where accountsummary's failure would not say why."""
        answer = self.ok("listaccts", search=user, searchtype="user", searchmethod="exact")
        for acct in (answer.get("data") or {}).get("acct") or []:
            if str(acct.get("user", "")).lower() == user:
                return dict(acct)
        return None


def _suspended(acct: Mapping[str, Any]) -> bool:
    return str(acct.get("suspended", "0")) == "1"


def _megabytes(value: Any) -> int | None:
    """ "14M" → 14; "unlimited" (or anything else unreadable) → None."""
    text = str(value or "").strip().upper().removesuffix("M")
    return int(text) if text.isdigit() else None


class CpanelModule(ProvisioningModule):
    """cPanel & WHM (WHM API 1): accounts created, suspended, unsuspended, moved between
    hosting plans, given a new password and removed; usage, the account list, single sign-on."""

    name = "cpanel"
    capabilities = frozenset(
        {
            "create",
            "suspend",
            "unsuspend",
            "terminate",
            "change_tariff",
            "sync",
            "list",
            "reset_password",
            "login_url",
            "check",
        }
    )
    wants_password = True

    # -- helpers -------------------------------------------------------------------------

    def _client(self, ctx: ProvisioningContext, also_secret: str = "") -> WhmClient:
        if ctx.server is None:
            raise CpanelRefused("cpanel: the service is on no server")
        return WhmClient(ctx.server, secrets=[ctx.password, also_secret])

    def _user(self, ctx: ProvisioningContext) -> str:
        return ctx.remote_id or username_for(ctx.service.pk, ctx.service.identifier)

    def _package(self, ctx: ProvisioningContext) -> str:
        package = str(ctx.params.get("package") or "").strip()
        if not package:
            raise CpanelRefused(
                f"cpanel: the tariff {ctx.service.tariff.code!r} has no module parameter "
                '"package" (the WHM hosting plan)'
            )
        return package

    def _domain(self, ctx: ProvisioningContext) -> str:
        if not ctx.service.identifier:
            raise CpanelRefused("cpanel: the service has no domain name")
        return ascii_form(ctx.service.identifier)

    def _access(self, server: ServerAccess, user: str, domain: str, **extra: Any) -> dict:
        settings = server.settings
        access: dict[str, Any] = {
            "login": user,
            "domain": domain,
            "panel_url": settings.get("panel_url") or f"https://{server.host}:{CPANEL_PORT}/",
        }
        if settings.get("nameservers"):
            access["nameservers"] = list(settings["nameservers"])
        access.update({k: v for k, v in extra.items() if v})
        return access

    # -- the lifecycle -------------------------------------------------------------------

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """createacct (https://api.docs.cpanel.net/openapi/whm/operation/createacct/), after
        looking the username up: an account of that name on our domain is ours (a retried
        create), on another domain the name is taken (refused)."""
        whm = self._client(ctx)
        user, domain, package = self._user(ctx), self._domain(ctx), self._package(ctx)
        if not ctx.password:
            # The worker keeps one before the first create (wants_password); without it WHM
            # would make one nobody could read back (showpass=n).
            raise CpanelError("cpanel: the service has no password to create its account with")
        existing = whm.find(user)
        if existing is None:
            answer = whm.call(
                "createacct",
                username=user,
                domain=domain,
                plan=package,
                contactemail=ctx.service.billing_account.contact_email,
                password=ctx.password,
                showpass="n",  # keep the password out of the raw output
            )
            if whm.succeeded(answer):
                data = answer.get("data") or {}
                nameservers = [
                    data[k]
                    for k in ("nameserver", "nameserver2", "nameserver3", "nameserver4")
                    if data.get(k)
                ]
                return ProvisioningResult(
                    done=True,
                    note=f"cPanel account {user} created on plan {package}",
                    remote_id=user,
                    access=self._access(whm.server, user, domain, nameservers=nameservers),
                    state=RemoteState.ACTIVE,
                )
            # Refused; unless an earlier try made it after all (its answer lost on the way).
            existing = whm.find(user)
            if existing is None or str(existing.get("domain", "")).lower() != domain:
                raise CpanelRefused(f"{whm.server.name} createacct: {whm.reason(answer)}")
        if str(existing.get("domain", "")).lower() != domain:
            raise CpanelRefused(
                f"{whm.server.name}: the username {user} is taken by an account of "
                f"{existing.get('domain')!r}"
            )
        return ProvisioningResult(
            done=True,
            note=f"cPanel account {user} exists",
            remote_id=user,
            access=self._access(whm.server, user, domain, ip=existing.get("ip")),
            state=RemoteState.SUSPENDED if _suspended(existing) else RemoteState.ACTIVE,
        )

    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """suspendacct (https://api.docs.cpanel.net/openapi/whm/operation/suspendacct/); a
        refusal for an account already suspended is success."""
        return self._suspension(ctx, suspend=True)

    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """unsuspendacct (https://api.docs.cpanel.net/openapi/whm/operation/unsuspendacct/);
        a refusal for an account already active is success."""
        return self._suspension(ctx, suspend=False)

    def _suspension(self, ctx: ProvisioningContext, *, suspend: bool) -> ProvisioningResult:
        whm, user = self._client(ctx), self._user(ctx)
        if suspend:
            reason = ctx.operation_params.get("reason") or SUSPEND_REASON
            answer = whm.call("suspendacct", user=user, reason=reason)
        else:
            answer = whm.call("unsuspendacct", user=user)
        function = "suspendacct" if suspend else "unsuspendacct"
        if not whm.succeeded(answer):
            # The docs do not say what a repeated call answers: look at the account.
            acct = whm.find(user)
            if acct is None or _suspended(acct) != suspend:
                missing = " (no such account)" if acct is None else ""
                raise CpanelRefused(f"{whm.server.name} {function}: {whm.reason(answer)}{missing}")
        state = RemoteState.SUSPENDED if suspend else RemoteState.ACTIVE
        what = "suspended" if suspend else "unsuspended"
        return ProvisioningResult(done=True, note=f"cPanel account {user} {what}", state=state)

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """removeacct (https://api.docs.cpanel.net/openapi/whm/operation/removeacct/); an
        account already gone is success (looked up first, so nothing else is removed)."""
        whm, user = self._client(ctx), self._user(ctx)
        if whm.find(user) is None:
            return ProvisioningResult(
                done=True, note=f"cPanel account {user} is not there", state=RemoteState.MISSING
            )
        answer = whm.call("removeacct", username=user)
        if not whm.succeeded(answer) and whm.find(user) is not None:
            raise CpanelRefused(f"{whm.server.name} removeacct: {whm.reason(answer)}")
        return ProvisioningResult(
            done=True, note=f"cPanel account {user} removed", state=RemoteState.MISSING
        )

    def change_tariff(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """changepackage (https://api.docs.cpanel.net/openapi/whm/operation/changepackage/)
        to the new tariff's plan; the same plan again is harmless."""
        whm, user, package = self._client(ctx), self._user(ctx), self._package(ctx)
        whm.ok("changepackage", user=user, pkg=package)
        return ProvisioningResult(done=True, note=f"cPanel account {user} moved to plan {package}")

    # -- asked for by staff, the panel, reconciliation -----------------------------------

    def reset_password(self, ctx: ProvisioningContext, *, password: str) -> ProvisioningResult:
        """passwd (https://api.docs.cpanel.net/openapi/whm/operation/passwd/); the account's
        MySQL password follows (db_pass_update defaults to 1)."""
        whm = self._client(ctx, also_secret=password)
        user = self._user(ctx)
        whm.ok("passwd", user=user, password=password)
        return ProvisioningResult(
            done=True, note=f"cPanel password of {user} changed", password=password
        )

    def login_url(self, ctx: ProvisioningContext) -> str:
        """create_user_session with service=cpaneld
        (https://api.docs.cpanel.net/openapi/whm/operation/create_user_session/): a one-time
        URL into the customer's cPanel, expiring after 15 minutes of inactivity."""
        whm, user = self._client(ctx), self._user(ctx)
        answer = whm.ok("create_user_session", user=user, service="cpaneld")
        url = str((answer.get("data") or {}).get("url") or "")
        if not url.startswith("https://"):
            raise CpanelError(f"{whm.server.name} create_user_session: no login URL returned")
        return url

    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        """accountsummary (https://api.docs.cpanel.net/openapi/whm/operation/accountsummary/):
        suspended or not, disk used and its limit in MiB."""
        whm, user = self._client(ctx), self._user(ctx)
        answer = whm.call("accountsummary", user=user)
        if not whm.succeeded(answer):
            if whm.find(user) is None:
                return SyncResult(state=RemoteState.MISSING)
            raise CpanelRefused(f"{whm.server.name} accountsummary: {whm.reason(answer)}")
        accts = (answer.get("data") or {}).get("acct") or []
        if not accts:
            return SyncResult(state=RemoteState.MISSING)
        acct = accts[0]
        return SyncResult(
            state=RemoteState.SUSPENDED if _suspended(acct) else RemoteState.ACTIVE,
            usage={
                "disk_mb": _megabytes(acct.get("diskused")),
                "disk_limit_mb": _megabytes(acct.get("disklimit")),
                "plan": acct.get("plan", ""),
            },
            access=self._access(whm.server, user, str(acct.get("domain", "")), ip=acct.get("ip")),
        )

    def list(self, server: ServerAccess) -> Sequence[RemoteAccount]:
        """listaccts (https://api.docs.cpanel.net/openapi/whm/operation/listaccts/): every
        account the token may see (a reseller's token: its own)."""
        whm = WhmClient(server)
        answer = whm.ok("listaccts", want="user,domain,email,plan,suspended,diskused")
        return [
            RemoteAccount(
                remote_id=str(acct.get("user", "")),
                state=RemoteState.SUSPENDED if _suspended(acct) else RemoteState.ACTIVE,
                owner=str(acct.get("email", "")),
                details={
                    "domain": acct.get("domain", ""),
                    "plan": acct.get("plan", ""),
                    "disk_mb": _megabytes(acct.get("diskused")),
                },
            )
            for acct in (answer.get("data") or {}).get("acct") or []
        ]

    def check(self, server: ServerAccess) -> str:
        """version (https://api.docs.cpanel.net/openapi/whm/operation/version/)."""
        answer = WhmClient(server).ok("version")
        return f"cPanel & WHM {(answer.get('data') or {}).get('version', '?')}"
