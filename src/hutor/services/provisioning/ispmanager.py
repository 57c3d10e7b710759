"""ISPmanager 6 (lite, pro, host): shared hosting through the panel's HTTP API.

One POST per call to `https://host:1500/ispmgr` with `func=...&out=json` and the
administrator's `authinfo=user:password` (ispmanager.com/docs/ispmanager/guide-to-ispsystem-
software-api, "authinfo authentication"; the same guide for BILLmanager 6 says GET and POST are
both accepted, and POST keeps the credential and passwords out of the panel's access logs).

A service is one panel user, created from the tariff's template (`preset`), with a web domain
and, when the tariff asks, a mail domain for the service's domain. The user's login is derived
from the service (`login_for`) and its comment marks it as this billing's (`owner_mark`), so a
retried create that meets "exists" can tell its own user (success) from someone else's
(refused: name taken).

What the documentation does and does not settle (said here once, relied on below):
- Answers: the guide and the COREmanager errors page (ispmanager.com/docs/coremanager/errors)
  show them as XML: `<doc><ok/></doc>`, or `<doc><error type=".." object=".."><param ..>
  <msg>text</msg></error></doc>`. `out=json` is the same document with attributes as "$name"
  keys and text as "$" (`{"doc": {"error": {"$type": "exists", "msg": {"$": "…"}}}}`); the pages
  do not print a JSON answer, and public clients read exactly `doc.error.msg.$`.
- The error types: the errors page shows the `type` attribute but lists no values; the ones
  used here are COREmanager's exception names: exists, missed (no such object), value, limit,
  access, auth.
- The user list's columns: the documentation names them in the interface (login, name, owner,
  template, status) but not their JSON keys nor usage figures; `sync` reads `name` and
  `active` and reports no usage.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

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

DEFAULT_PORT = 1500  # the guide's https://IP-address:1500/ispmgr
TIMEOUT = 30  # seconds; a user's creation writes system files, it is not instant
LOGIN_MAX = 32  # "Login … Maximum length: 32 characters" (docs/ispmanager/add-a-user)
BASE_MAX = 16  # of a login's part taken from the domain, so the service number always fits
KEY_LENGTH = 32  # a login key is "a random line at least 16 symbols long" (the guide)

# Error types that no retry can change: the panel said no, and staff must act.
REFUSALS = frozenset({"exists", "missed", "value", "limit", "access", "license"})
TRUE_WORDS = frozenset({"1", "yes", "true", "on"})


class IspmanagerRefused(ProvisioningRefused):
    """The panel refused (a name taken, a limit reached, a value it does not accept, an object
    it does not have): retrying cannot help, staff must act. Other ProvisioningErrors (the
    panel unreachable, a 5xx, a credential rejected) may pass with a retry."""

    def __init__(self, message: str, *, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


class PanelError(ProvisioningError):
    """An error document from the panel: its type and message (the caller decides whether the
    type is success for it, like "exists" on a retried create)."""

    def __init__(self, server: str, kind: str, message: str) -> None:
        super().__init__(f"{server}: {message or kind}")
        self.kind = kind
        self.message = message


def text(node: Any) -> str:
    """The text of an element in the JSON form of a panel document ({"$": "…"})."""
    if isinstance(node, Mapping):
        return str(node.get("$", ""))
    return "" if node is None else str(node)


def elements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A list's rows; one row comes as an object, not a list of one, in the XML-to-JSON form."""
    rows = doc.get("elem", [])
    return [rows] if isinstance(rows, Mapping) else list(rows)


def truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in TRUE_WORDS


def login_for(ctx: ProvisioningContext) -> str:
    """The panel login of a service: the one it was created with, else its domain's first
    label (after "www.") in Latin letters and digits (up to 16) followed by the service's
    number, else "u<number>". Deterministic, so a retried create asks for the same name;
    lowercase Latin and digits starting with a letter, within the panel's 32 characters."""
    if ctx.remote_id:
        return ctx.remote_id
    labels = ctx.service.identifier.strip().lower().split(".")
    label = labels[1] if labels[0] == "www" and len(labels) > 2 else labels[0]
    base = "" if label.startswith("xn--") else re.sub(r"[^a-z0-9]", "", label)
    base = base.lstrip("0123456789")[:BASE_MAX]
    return f"{base or 'u'}{ctx.service.pk}"[:LOGIN_MAX]


def owner_mark(ctx: ProvisioningContext) -> str:
    """The user's comment: which billing account and service it belongs to."""
    return f"Hutor {ctx.service.billing_account.number} service {ctx.service.pk}"


class Panel:
    """The panel's API as one server sees it: a call is a function name and its parameters,
    the answer the `doc` object, an error document raised as PanelError."""

    def __init__(self, server: ServerAccess) -> None:
        self.server = server
        self.url = f"{server.base_url(DEFAULT_PORT)}/ispmgr"
        self.lang = str(server.settings.get("lang", "ru"))

    @property
    def panel_url(self) -> str:
        """Where customers log in (a server setting when it differs from the API address)."""
        return str(self.server.settings.get("panel_url") or self.url)

    def call(self, func: str, **params: str) -> Mapping[str, Any]:
        form = {
            "func": func,
            "out": "json",
            "lang": self.lang,
            "authinfo": f"{self.server.username}:{self.server.password}",
            **params,
        }
        request = urllib.request.Request(  # noqa: S310 (base_url: always http or https)
            self.url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        context = None
        if self.server.use_tls and not truthy(self.server.settings.get("verify_tls", True)):
            # Panels often serve 1500 with a self-signed certificate; the operator says so.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=TIMEOUT, context=context
            ) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise ProvisioningError(f"{self.server.name}: HTTP {exc.code} on {func}") from None
        except (OSError, ValueError) as exc:
            raise ProvisioningError(f"{self.server.name}: {func}: {exc}") from None
        try:
            doc = json.loads(raw)["doc"]
        except (ValueError, KeyError, TypeError):
            raise ProvisioningError(
                f"{self.server.name}: {func}: not a panel answer ({raw[:80]!r})"
            ) from None
        error = doc.get("error") if isinstance(doc, Mapping) else None
        if isinstance(error, Mapping):
            raise PanelError(self.server.name, str(error.get("$type", "")), text(error.get("msg")))
        if error is not None:
            raise PanelError(self.server.name, "", text(error))
        return doc if isinstance(doc, Mapping) else {}

    def refused(self, exc: PanelError) -> ProvisioningError:
        """The panel's error as billing sees it: a refusal when no retry can change it."""
        if exc.kind in REFUSALS:
            return IspmanagerRefused(str(exc), kind=exc.kind)
        if exc.kind == "auth":
            return ProvisioningError(
                _("%(server)s: the panel rejected the credential (%(error)s)")
                % {"server": self.server.name, "error": exc.message}
            )
        return exc

    def do(self, func: str, *, ok: frozenset[str] = frozenset(), **params: str) -> bool:
        """Call; True when it was done, False when the panel answered an error of a type in
        `ok` (already so: "missed" on a delete); other errors raised."""
        try:
            self.call(func, **params)
        except PanelError as exc:
            if exc.kind in ok:
                return False
            raise self.refused(exc) from None
        return True

    def view(self, func: str, elid: str) -> Mapping[str, Any] | None:
        """An object's form (a `.edit` function with `elid` and no `sok`), None when missing."""
        try:
            return self.call(func, elid=elid)
        except PanelError as exc:
            if exc.kind == "missed":
                return None
            raise self.refused(exc) from None

    def users(self) -> list[Mapping[str, Any]]:
        try:
            return elements(self.call("user"))
        except PanelError as exc:
            raise self.refused(exc) from None


class IspmanagerModule(ProvisioningModule):
    """ISPmanager 6: a user per service from the tariff's template, its web (and mail)
    domain, suspension, template change, password, single sign-on by a login key."""

    name = "ispmanager"
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

    def _panel(self, ctx: ProvisioningContext) -> Panel:
        if ctx.server is None:
            raise IspmanagerRefused(_("The service is on no ISPmanager server."))
        return Panel(ctx.server)

    def _preset(self, ctx: ProvisioningContext) -> str:
        preset = str(ctx.params.get("preset", "")).strip()
        if not preset:
            # A user made without a template has no limits at all: never do that.
            raise IspmanagerRefused(
                _("The tariff «%(tariff)s» has no ISPmanager template (module parameter «preset»).")
                % {"tariff": ctx.service.tariff.code}
            )
        return preset

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        panel, login = self._panel(ctx), login_for(ctx)
        preset, password, mark = self._preset(ctx), ctx.password, owner_mark(ctx)
        user = {
            "sok": "ok",
            "name": login,
            "fullname": f"{ctx.service.billing_account.number} {ctx.service.identifier}".strip(),
            "passwd": password,
            "confirm": password,
            "preset": preset,
            "comment": mark,
        }
        if ctx.server and ctx.server.settings.get("owner"):
            user["owner"] = str(ctx.server.settings["owner"])  # a reseller (ispmanager host)
        if not panel.do("user.edit", ok=frozenset({"exists"}), **user):
            # A retried create, or a name someone else holds: the comment tells.
            form = panel.view("user.edit", login) or {}
            if text(form.get("comment")) != mark:
                raise IspmanagerRefused(
                    _("%(server)s: the login «%(login)s» is taken by another user")
                    % {"server": panel.server.name, "login": login},
                    kind="exists",
                )
        domain = ctx.service.identifier.strip().lower()
        if domain:
            self._domain(panel, "webdomain.edit", domain, login)
            if truthy(ctx.params.get("mail", False)):
                self._domain(panel, "emaildomain.edit", domain, login)
        return ProvisioningResult(
            done=True,
            note=f"user {login} ({preset})",
            remote_id=login,
            password=password,
            access={"login": login, "panel_url": panel.panel_url, "domain": domain},
            state=RemoteState.ACTIVE,
        )

    def _domain(self, panel: Panel, func: str, domain: str, login: str) -> None:
        """A web or mail domain owned by the user; one that exists is fine when it is the
        user's (a retried create), refused when it is someone else's."""
        if panel.do(func, ok=frozenset({"exists"}), sok="ok", name=domain, owner=login):
            return
        form = panel.view(func, domain) or {}
        if text(form.get("owner")) != login:
            raise IspmanagerRefused(
                _("%(server)s: %(domain)s is on the panel under another user")
                % {"server": panel.server.name, "domain": domain},
                kind="exists",
            )

    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        # Suspending a suspended user is success (the panel does not call it an error).
        self._panel(ctx).do("user.suspend", elid=login_for(ctx))
        return ProvisioningResult(done=True, state=RemoteState.SUSPENDED)

    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        self._panel(ctx).do("user.resume", elid=login_for(ctx))
        return ProvisioningResult(done=True, state=RemoteState.ACTIVE)

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """The user goes with its sites, mail and databases; a user already gone is done."""
        panel, login = self._panel(ctx), login_for(ctx)
        deleted = panel.do("user.delete", ok=frozenset({"missed"}), elid=login)
        return ProvisioningResult(
            done=True,
            note=f"user {login} deleted" if deleted else f"user {login} was not on the panel",
            state=RemoteState.MISSING,
        )

    def change_tariff(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """The user's template becomes the new tariff's (`user.edit` with `elid` and `sok`)."""
        preset = self._preset(ctx)
        self._panel(ctx).do("user.edit", sok="ok", elid=login_for(ctx), preset=preset)
        return ProvisioningResult(done=True, note=f"template {preset}")

    def reset_password(self, ctx: ProvisioningContext, *, password: str) -> ProvisioningResult:
        self._panel(ctx).do(
            "user.edit", sok="ok", elid=login_for(ctx), passwd=password, confirm=password
        )
        return ProvisioningResult(done=True, password=password)

    def login_url(self, ctx: ProvisioningContext) -> str:
        """A one-time link that logs the customer in (the guide's "Key authentication": the
        administrator registers a random key for the user with `session.newkey`, the user opens
        `…/ispmgr?func=auth&username=…&key=…`)."""
        panel, login = self._panel(ctx), login_for(ctx)
        key = secrets.token_urlsafe(KEY_LENGTH)[:KEY_LENGTH]
        panel.do("session.newkey", username=login, key=key)
        query = urllib.parse.urlencode({"func": "auth", "username": login, "key": key})
        return f"{panel.panel_url}?{query}"

    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        login = login_for(ctx)
        for row in self._panel(ctx).users():
            if text(row.get("name")) == login:
                return SyncResult(state=self._state(row), access={"login": login})
        return SyncResult(state=RemoteState.MISSING)

    def list(self, server: ServerAccess) -> Sequence[RemoteAccount]:
        return [
            RemoteAccount(
                remote_id=text(row.get("name")),
                state=self._state(row),
                owner=text(row.get("name")),
                details={k: text(row.get(k)) for k in ("fullname", "owner", "preset") if k in row},
            )
            for row in Panel(server).users()
        ]

    def check(self, server: ServerAccess) -> str:
        # The documented functions give no version; listing the users proves the address,
        # the credential and the administrator's rights.
        return f"ISPmanager, users: {len(Panel(server).users())}"

    @staticmethod
    def _state(row: Mapping[str, Any]) -> str:
        active = text(row.get("active")).lower()
        if active == "on":
            return RemoteState.ACTIVE
        if active == "off":
            return RemoteState.SUSPENDED
        return RemoteState.UNKNOWN
