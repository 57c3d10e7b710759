"""REG.RU: domains through the reseller API REG.API 2 (docs/domains.md, "REG.RU").

Every call is `POST https://api.reg.ru/api/regru2/<category>/<function>` with the form fields
username, password, input_format=json and input_data=<the function's parameters as JSON>
(https://www.reg.ru/support/help/api2#common_trans_input_param, #common_auth_params: the
credential never inside input_data); every answer is `{"result": "success", "answer": {...}}`
or `{"result": "error", "error_code": "...", "error_text": "..."}` (#common_response_parameters).
A function about a list of services answers success at the top and a result per service
(2.3.2: "2 levels of errors"), so each item is checked too.

The server's username is the reseller's REG.RU login, its password the login's password or
the alternative API password (#common_auth_params). One domain service is one REG.RU domain;
its `remote_id` is the service_id REG.RU gave it (#common_service_identification_params
recommend keeping it). Names go in Punycode (`registrar.ascii_name`; the docs accept Punycode
or the national form).

Errors: the documented codes (#common_errors and each function's own) that no retry changes
raise `RegruRefused` (a ProvisioningRefused: a name taken, contacts the registry rejects, the
reseller's balance too low); a server that cannot be reached, answers something unreadable,
is temporarily unavailable or rejects the credential raises `RegruError`, for the worker to
retry. The password is sent in a POST body only and is scrubbed from every message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from django.utils.translation import gettext as _

from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningError,
    ProvisioningRefused,
    ProvisioningResult,
    RemoteState,
    ServerAccess,
)
from hutor.services.provisioning.registrar import (
    Availability,
    DomainInfo,
    Refusal,
    Registrant,
    RegistrarModule,
    ascii_name,
    years,
)

log = logging.getLogger(__name__)

API_PORT = 443
API_PATH = "/api/regru2/"
TIMEOUT = 60  # seconds: domain/create waits for the registry ("five to ten seconds" usual)
MASK = "••••••"

# Zones whose registration period is one year only (#domain_create, `period`: "for .ru and
# .su only 1"; .рф is the same registry's rules, an assumption: see docs/domains.md). A longer
# order is registered for one year and renewed for the rest at once.
ONE_YEAR_ZONES = ("ru", "su", "xn--p1ai")

# #common_errors and the functions' own codes that a retry may get past: REG.API or the
# registry unavailable for a while, another billing call of ours in progress, the domain
# busy with another operation, a credential staff must fix (as cpanel does).
TEMPORARY = frozenset(
    {
        "SERVICE_UNAVAILABLE",
        "BILLING_LOCK",
        "CONNECTION_FAILED",
        "INTERNAL_ERROR",
        "DOMAIN_ORDER_LOCKED",
        "NO_USERNAME",
        "NO_AUTH",
        "PASSWORD_AUTH_FAILED",
        "HTTPS_ONLY",
    }
)
# A domain/create refused because the name exists (#common_errors): ours after a lost answer,
# else someone else's.
EXISTS = frozenset({"DOMAIN_ALREADY_EXISTS", "DOMAIN_ALREADY_ORDERED", "SERVICE_ALREADY_EXISTS"})
# A service that REG.RU does not hold for us (#common_errors, identification).
NOT_OURS = frozenset({"DOMAIN_NOT_FOUND", "SERVICE_ID_NOT_FOUND", "SERVICE_NOT_FOUND"})
# Money: the reseller's prepaid balance at REG.RU (#common_errors, #service_renew `status`).
NO_MONEY = "NOT_ENOUGH_MONEY"

# service/get_info `state` (#service_get_info) as EPP status values (DomainInfo.statuses).
STATES = {"A": ("ok",), "S": ("clientHold",), "N": ("pendingCreate",)}


class RegruError(ProvisioningError):
    """REG.API could not be reached, answered something unreadable, was temporarily
    unavailable or rejected the credential: a retry may help."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class RegruRefused(RegruError, ProvisioningRefused):
    """REG.API refused with a documented code no retry changes (a name taken, contacts the
    registry rejects, the reseller's balance too low): staff fix the cause and retry."""


def succeeded(item: Mapping[str, Any]) -> bool:
    """One service's result inside a list answer (2.3.2): "success" (domain/create,
    update_nss) or "SUCCESS" (create_authinfo_request), and no error_code."""
    return str(item.get("result", "")).lower() == "success" and not item.get("error_code")


class RegruClient:
    """A small REG.API 2 client: one POST per call, JSON in and out."""

    def __init__(self, server: ServerAccess) -> None:
        self.server = server
        self.base = f"{server.base_url(API_PORT)}{API_PATH}"

    def _verify(self) -> bool | str:
        settings = self.server.settings
        if settings.get("ca_file"):
            return str(settings["ca_file"])
        return bool(settings.get("verify_tls", True))

    def clean(self, text: str) -> str:
        if self.server.password:
            text = text.replace(self.server.password, MASK)
        return " ".join(text.split())[:500]

    def call(self, function: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The `answer` of one function; RegruRefused or RegruError when there is none."""
        params = dict(data or {})
        if self.server.settings.get("lang"):
            params["lang"] = self.server.settings["lang"]  # error_text's language (2.2.4.2)
        form = {
            "username": self.server.username,
            "password": self.server.password,
            "input_format": "json",
            "input_data": json.dumps(params, ensure_ascii=False),
        }
        where = f"{self.server.name} {function}"
        try:
            response = requests.post(
                self.base + function, data=form, timeout=TIMEOUT, verify=self._verify()
            )
        except requests.exceptions.RequestException as exc:
            raise RegruError(self.clean(f"{where}: {exc}")) from None
        if response.status_code != 200:
            raise RegruError(self.clean(f"{where}: HTTP {response.status_code}"))
        try:
            body = response.json()
            result = body["result"]
        except (ValueError, TypeError, KeyError):
            raise RegruError(f"{where}: not a REG.API 2 answer") from None
        if result == "success" and isinstance(body.get("answer", {}), dict):
            return dict(body.get("answer") or {})
        if result != "error":
            raise RegruError(f"{where}: not a REG.API 2 answer")
        code = str(body.get("error_code") or "")
        raise self.error(where, code, str(body.get("error_text") or ""))

    def error(self, where: str, code: str, text: str, *, refused: bool = False) -> RegruError:
        """The exception for a documented error code, the server's words kept for staff; a
        refusal unless the code is a temporary one (an error without a code is one too, where
        `refused` is False: an answer REG.API should not give)."""
        message = self.clean(f"{where}: {text or 'no error text'} [{code or '?'}]")
        if code == NO_MONEY:
            message += " " + _(
                "The reseller's prepaid balance at REG.RU is too low for this operation: "
                "top it up in the REG.RU account, then retry the task."
            )
        temporary = code in TEMPORARY or (not code and not refused)
        kind = RegruError if temporary else RegruRefused
        return kind(message, code)

    def item_error(self, function: str, item: Mapping[str, Any]) -> RegruError:
        """One service's failure inside a list answer: its result text (domain/create's
        "Unavailable domain name") with or without a code, a refusal unless temporary."""
        text = str(item.get("error_text") or item.get("result") or "")
        code = str(item.get("error_code", ""))
        return self.error(f"{self.server.name} {function}", code, text, refused=True)

    def lookup(self, *, service_id: str = "", domain: str = "") -> dict[str, Any] | None:
        """service/get_info of one domain of ours (#service_get_info), or None when REG.RU
        holds no such domain for us (DOMAIN_NOT_FOUND, SERVICE_ID_NOT_FOUND)."""
        ident = {"service_id": service_id} if service_id else {"domain_name": domain}
        try:
            answer = self.call("service/get_info", {"services": [ident]})
        except RegruRefused as exc:
            if exc.code in NOT_OURS:
                return None
            raise
        items = answer.get("services") or []
        if not items:
            return None
        item = dict(items[0])
        if not succeeded(item):
            if item.get("error_code") in NOT_OURS:
                return None
            raise self.item_error("service/get_info", item)
        if item.get("servtype", "domain") != "domain":
            return None
        return item


def regru_phone(phone: str) -> str:
    """EPP's "+7.9161234567" in REG.RU's form "+7 916 1234567" (#domain_create, `phone`:
    country code, city code and number apart by spaces, no brackets or dashes). The city code
    is taken as three digits: right for Russian mobile and Moscow numbers, and the registry
    takes the number as one string either way (an assumption, docs/domains.md)."""
    text = phone.strip()
    if not (text.startswith("+") and "." in text):
        return text
    country, rest = text[1:].split(".", 1)
    digits = "".join(c for c in rest if c.isdigit())
    return f"+{country} {digits[:3]} {digits[3:]}" if len(digits) > 3 else f"+{country} {digits}"


def contacts(registrant: Registrant | None) -> dict[str, str]:
    """The `contacts` of domain/create for a .ru/.su/.рф domain (#domain_create, "Контактные
    данные для .RU/.SU/.РФ доменов"): a company's set or a person's, never both."""
    if registrant is None:
        raise RegruRefused(_("regru: the domain has no registrant to register it with"))
    r = registrant
    fields: dict[str, str] = {
        "e_mail": r.email,
        "phone": regru_phone(r.phone),
        "p_addr": r.postal_address,
        "country": r.country.upper(),
    }
    if r.is_company:
        fields.update(
            org=r.org_latin, org_r=r.org, code=r.inn, address_r=r.legal_address or r.postal_address
        )
        if r.kpp:
            fields["kpp"] = r.kpp
    else:
        birth = r.birth_date.strftime("%d.%m.%Y") if r.birth_date else ""
        fields.update(person=r.name_latin, person_r=r.name, passport=r.passport, birth_date=birth)
        if r.inn:
            fields["code"] = r.inn  # a sole proprietor's INN (the person's `code`)
    missing = sorted(k for k, v in fields.items() if not v)
    if missing:
        raise RegruRefused(
            _("regru: the registrant lacks what REG.RU requires: %(fields)s")
            % {"fields": ", ".join(missing)}
        )
    return fields


def nss(names: Sequence[str]) -> dict[str, str]:
    """domain/create's and update_nss's `nss`: ns0..ns3 (#domain_create: at least two)."""
    hosts = [n.strip().rstrip(".").lower() for n in names if n.strip()]
    if len(hosts) < 2:
        raise RegruRefused(_("regru: a domain needs at least two nameservers"))
    return {f"ns{i}": ascii_name(host) for i, host in enumerate(hosts[:4])}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _add_years(day: dt.date, count: int) -> dt.date:
    try:
        return day.replace(year=day.year + count)
    except ValueError:  # 29 February
        return day.replace(year=day.year + count, day=28)


class RegruModule(RegistrarModule):
    """REG.RU's reseller API: domains registered, renewed, given nameservers, their state and
    expiry read, the auth code requested for a transfer away; several names checked at once."""

    name = "regru"
    capabilities = frozenset(
        {"create", "renew", "availability", "info", "set_nameservers", "transfer_out", "check"}
    )

    def _client(self, ctx: ProvisioningContext) -> RegruClient:
        if ctx.server is None:
            raise RegruRefused("regru: the service is on no server")
        return RegruClient(ctx.server)

    def _name(self, ctx: ProvisioningContext) -> str:
        if not ctx.service.identifier:
            raise RegruRefused("regru: the service has no domain name")
        return ascii_name(ctx.service.identifier)

    def _service_id(self, api: RegruClient, ctx: ProvisioningContext) -> str:
        """The domain's service_id: kept from its create, else looked up by name."""
        if ctx.remote_id:
            return ctx.remote_id
        found = api.lookup(domain=self._name(ctx))
        if found is None:
            raise RegruRefused(
                f"{api.server.name}: REG.RU holds no domain {self._name(ctx)} for this account"
            )
        return str(found["service_id"])

    def _nameservers(self, ctx: ProvisioningContext) -> list[str]:
        assert ctx.server is not None
        return list(ctx.nameservers or ctx.server.settings.get("nameservers") or [])

    # -- the lifecycle -------------------------------------------------------------------

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """domain/create (#domain_create) with the registrant's contacts, the nameservers and
        the period, paid from the reseller's balance (pay_type prepay, the default; without
        ok_if_no_money a short balance is NOT_ENOUGH_MONEY and nothing is ordered).

        Looked up first (service/get_info): a domain REG.RU already holds for us is ours from
        an earlier try whose answer was lost, and is success. A one-year zone ordered for
        longer is registered for a year, then renewed for the rest (`ONE_YEAR_ZONES`)."""
        api, name = self._client(ctx), self._name(ctx)
        wanted = years(ctx)
        found = api.lookup(service_id=ctx.remote_id) if ctx.remote_id else None
        found = found or api.lookup(domain=name)
        if found is not None:
            return self._finish(api, ctx, found, wanted, note="exists")
        zone = name.rsplit(".", 1)[-1]
        period = 1 if zone in ONE_YEAR_ZONES else wanted
        order: dict[str, Any] = {
            "domain_name": name,
            "period": period,
            "contacts": contacts(ctx.registrant),
            "nss": nss(self._nameservers(ctx)),
        }
        enduser_ip = ctx.operation_params.get("enduser_ip") or api.server.settings.get("enduser_ip")
        if enduser_ip:
            order["enduser_ip"] = str(enduser_ip)  # required of a partner (#domain_create)
        try:
            answer = api.call("domain/create", order)
        except RegruRefused as exc:
            found = api.lookup(domain=name) if exc.code in EXISTS else None
            if found is None:
                if exc.code in EXISTS:
                    exc.refusal = Refusal.TAKEN  # someone else's: refunded (services.refusals)
                raise
            return self._finish(api, ctx, found, wanted, note="exists")
        items = answer.get("domains") or []
        if not items or not succeeded(items[0]) or not items[0].get("service_id"):
            item = items[0] if items else {"result": "no domain in the answer"}
            raise api.item_error("domain/create", item)
        service_id = str(items[0]["service_id"])
        if wanted > period:
            self._renew(api, service_id, wanted - period)
        log.info(
            "regru: %s registered (service %s, bill %s)", name, service_id, answer.get("bill_id")
        )
        return ProvisioningResult(
            done=True,
            note=f"REG.RU: {name} registered for {wanted} y (service {service_id}, "
            f"bill {answer.get('bill_id', '?')}, {answer.get('payment', '?')} charged)",
            remote_id=service_id,
            access={"nameservers": list(order["nss"].values())},
            state=RemoteState.ACTIVE,
        )

    def _finish(
        self,
        api: RegruClient,
        ctx: ProvisioningContext,
        found: Mapping[str, Any],
        wanted: int,
        note: str,
    ) -> ProvisioningResult:
        """A domain REG.RU holds for us: renewed up to the years ordered when an earlier try
        registered it for one year and stopped before the rest."""
        service_id = str(found["service_id"])
        created, expires = _date(found.get("creation_date")), _date(found.get("expiration_date"))
        if created and expires:
            held = (
                expires.year
                - created.year
                - ((expires.month, expires.day) < (created.month, created.day))
            )
            if held < wanted:
                self._renew(api, service_id, wanted - held)
        return ProvisioningResult(
            done=True,
            note=f"REG.RU: {self._name(ctx)} {note} "
            f"(service {service_id}, state {found.get('state')})",
            remote_id=service_id,
            access={"nameservers": self._nameservers(ctx)},
            state=RemoteState.ACTIVE,
        )

    def _renew(self, api: RegruClient, service_id: str, period: int) -> dict[str, Any]:
        """service/renew (#service_renew); `status` only_bill_created means the money was
        short and nothing was renewed."""
        answer = api.call("service/renew", {"service_id": service_id, "period": period})
        if answer.get("status") != "renew_success":
            raise api.error(
                f"{api.server.name} service/renew",
                NO_MONEY if answer.get("status") == "only_bill_created" else "",
                f"status {answer.get('status')!r}, bill {answer.get('bill_id')}",
            )
        return answer

    def renew(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """service/renew by `years(ctx)`. When the task carries the expiry billing believes in
        (`expires_on`) and REG.RU's is already that far past it, an earlier try renewed it:
        success without a second charge."""
        api = self._client(ctx)
        service_id, period = self._service_id(api, ctx), years(ctx)
        believed = _date(ctx.operation_params.get("expires_on", ""))
        if believed is not None:
            found = api.lookup(service_id=service_id)
            current = _date(found.get("expiration_date")) if found else None
            if current is not None and current >= _add_years(believed, period):
                return ProvisioningResult(
                    done=True, note=f"REG.RU: already renewed, expires {current.isoformat()}"
                )
        answer = self._renew(api, service_id, period)
        return ProvisioningResult(
            done=True,
            note=f"REG.RU: renewed for {period} y (bill {answer.get('bill_id', '?')}, "
            f"{answer.get('payment', '?')} {answer.get('currency', '')} charged)",
        )

    # -- the registrar's own -------------------------------------------------------------

    def availability(self, server: ServerAccess, names: Sequence[str]) -> list[Availability]:
        """domain/check (#domain_check, partners only) with every name at once: "Available",
        or an error_code with its text; `is_premium` marks a premium name."""
        asked: list[tuple[str, str]] = []
        answers: dict[str, Availability] = {}
        for name in names:
            try:
                asked.append((name, ascii_name(name)))
            except (UnicodeError, ValueError):  # idna's IDNAError: not a name to register
                answers[name] = Availability(name=name, available=False, reason="invalid name")
        if asked:
            answer = RegruClient(server).call(
                "domain/check", {"domains": [{"dname": puny} for _n, puny in asked]}
            )
            items = answer.get("domains") or []
            by_name = {str(i.get("dname", "")).lower(): i for i in items}
            for index, (name, puny) in enumerate(asked):
                item = by_name.get(puny) or (items[index] if index < len(items) else {})
                free = str(item.get("result", "")) == "Available" and not item.get("error_code")
                answers[name] = Availability(
                    name=name,
                    available=free,
                    reason="" if free else str(item.get("result") or item.get("error_code") or "?"),
                    premium=str(item.get("is_premium", "0")) == "1",
                )
        return [answers[name] for name in names]

    def info(self, ctx: ProvisioningContext) -> DomainInfo:
        """service/get_info (#service_get_info: state, expiration_date) and domain/get_nss
        (#domain_get_nss). A domain REG.RU deleted (D) or gave to another registrar (O) is
        refused with that state."""
        api = self._client(ctx)
        service_id = self._service_id(api, ctx)
        found = api.lookup(service_id=service_id)
        if found is None:
            raise RegruRefused(f"{api.server.name}: REG.RU holds no service {service_id} for us")
        state = str(found.get("state", ""))
        if state not in STATES:
            raise RegruRefused(
                f"{api.server.name}: {self._name(ctx)} is in state {state!r} at REG.RU "
                "(D: deleted, O: transferred to another registrar)"
            )
        answer = api.call("domain/get_nss", {"domains": [{"service_id": service_id}]})
        items = answer.get("domains") or [{}]
        if items[0].get("error_code"):
            raise api.item_error("domain/get_nss", items[0])
        hosts = tuple(str(ns.get("ns", "")) for ns in items[0].get("nss") or [] if ns.get("ns"))
        return DomainInfo(
            name=ctx.service.identifier,
            expires_on=_date(found.get("expiration_date")),
            statuses=STATES[state],
            nameservers=hosts,
        )

    def set_nameservers(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """domain/update_nss (#domain_update_nss) to exactly `ctx.nameservers`; the same set
        again is harmless."""
        api = self._client(ctx)
        service_id = self._service_id(api, ctx)
        servers = nss(ctx.nameservers)
        answer = api.call("domain/update_nss", {"service_id": service_id, "nss": servers})
        items = answer.get("domains") or answer.get("services") or [{}]
        if not succeeded(items[0]):
            raise api.item_error("domain/update_nss", items[0])
        return ProvisioningResult(
            done=True,
            note=f"REG.RU: nameservers of {self._name(ctx)} set to {', '.join(servers.values())}",
            access={"nameservers": list(servers.values())},
        )

    def transfer_out(self, ctx: ProvisioningContext) -> str:
        """domain/create_authinfo_request (#create_authinfo_request): REG.API has no function
        that hands the auth code to the reseller; REG.RU sends it to the domain's
        administrator by email (setting `authinfo_delivery`: "email" or "sms"). Returns ""
        once the request is accepted: the code is in the registrant's mailbox, not here."""
        api = self._client(ctx)
        service_id = self._service_id(api, ctx)
        method = str(api.server.settings.get("authinfo_delivery") or "email")
        answer = api.call(
            "domain/create_authinfo_request",
            {"domains": [{"service_id": service_id}], "delivery_method": method},
        )
        items = answer.get("domains") or [{}]
        if not succeeded(items[0]):
            raise api.item_error("domain/create_authinfo_request", items[0])
        log.info("regru: auth code of %s sent to its administrator by %s", self._name(ctx), method)
        return ""

    def check(self, server: ServerAccess) -> str:
        """nop (#common_nop: the login and user id) and user/get_balance (#user_get_balance:
        the prepaid balance registrations are paid from)."""
        api = RegruClient(server)
        who = api.call("nop")
        balance = api.call("user/get_balance", {"currency": "RUR"})
        return (
            f"REG.API 2: {who.get('login', '?')} (user {who.get('user_id', '?')}), "
            f"balance {balance.get('prepay', '?')} {balance.get('currency', 'RUR')}"
        )
