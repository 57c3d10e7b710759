"""The registrar contract: what billing asks of a domain registry or reseller (docs/domains.md).

A registrar module is a provisioning module (base.py) for domain services: its server is the
registry's or reseller's endpoint with the provider's credential, its calls run as the same
durable tasks, and the lifecycle's operations mean:

    create     register the domain (`ctx.registrant`, `ctx.nameservers`, `years(ctx)`), or
               transfer it in when the order carries an auth code (`ctx.auth_code`)
    renew      extend it at the registry by `years(ctx)`; `ctx.operation_params["expires_on"]`
               is the expiry billing believes in (EPP's curExpDate), ISO date
    terminate  nothing at the registry: an unpaid domain is left to expire (a module may
               delete it where the registry refunds in its add grace period)
    suspend, unsuspend  not declared: a domain is not suspended, it expires

and the registrar's own capabilities (REGISTRAR_CAPABILITIES) are asked for by the order form,
the panel, the desk and the daily sync. Domain names are passed as the customer wrote them
(Unicode, "пример.рф"); a module sends the registry's form (`ascii_name`, Punycode).

Errors: ProvisioningRefused when the registry says no and retrying cannot help (the name is
taken: EPP 2302; an object does not exist: 2303; authorization: 2201, 2202; a policy refusal:
2306, 2308); ProvisioningError for what may pass (a dropped session, EPP 2400, 2500-2502).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import idna

from hutor.services.identifiers import ascii_form
from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningModule,
    ProvisioningResult,
    ServerAccess,
    unimplemented,
)

# The capabilities only a registrar has (base.CAPABILITIES includes them).
REGISTRAR_CAPABILITIES = frozenset(
    {
        "availability",  # is a name free to register, several at once
        "info",  # the registry's status, expiry date, nameservers, lock
        "transfer_in",  # with the auth code the losing registrar gave
        "transfer_out",  # unlock and give the auth code
        "set_nameservers",
        "update_contacts",  # the registrant's data changed
        "lock",  # clientTransferProhibited on or off
    }
)


class Refusal:
    """Why a registry refused a domain's registration (`ProvisioningRefused.refusal`), in words
    a customer is told: the registry's own message goes beside it. TAKEN and NOT_ALLOWED refund
    the customer at once (services.refusals); the others wait for staff."""

    TAKEN = "taken"  # registered by someone else (EPP 2302)
    NOT_ALLOWED = "not_allowed"  # the zone's rules forbid it: reserved, blocked (2306, 2308)
    CONTACT = "contact"  # the registrant's data was refused
    OTHER = ""

    REFUNDED = frozenset({TAKEN, NOT_ALLOWED})


def ascii_name(name: str) -> str:
    """The registry's form of a domain name: lower case, IDN labels in Punycode (IDNA 2008,
    with UTS 46 mapping: "Пример.РФ" -> "xn--e1afmkfd.xn--p1ai")."""
    return ascii_form(name.strip().rstrip("."))


def unicode_name(name: str) -> str:
    """The customer's form of a domain name ("xn--e1afmkfd.xn--p1ai" -> "пример.рф")."""
    return idna.decode(name.strip().rstrip("."))


@dataclass(frozen=True)
class Registrant:
    """The registrant (and admin/tech contact) of a domain, as the registry needs it.

    `kind` is "person" or "company". A person of a .ru/.рф domain has the full name in Russian,
    its Latin form, birth date and passport; a company its name in both forms, INN and KPP and
    legal address. `handle` is the contact's id at the registry once created (EPP contact:id);
    a module creates the contact when it has none, with an id of its own making, and reports
    it in `ProvisioningResult.access["registrant_handle"]`.
    """

    kind: str
    email: str
    phone: str  # E.164 in EPP's form: "+7.9161234567"
    country: str  # ISO 3166 alpha-2: "RU"
    city: str
    postcode: str
    street: str
    region: str = ""
    # A person.
    name: str = ""  # "Иванов Иван Иванович"
    name_latin: str = ""  # "Ivan I Ivanov"
    birth_date: dt.date | None = None
    passport: str = field(default="", repr=False)  # "4510 123456, выдан ОВД ..., 01.02.2010"
    # A company.
    org: str = ""  # "ООО «Хутор»"
    org_latin: str = ""  # "Hutor LLC"
    inn: str = ""
    kpp: str = ""
    legal_address: str = ""
    handle: str = ""

    @property
    def is_company(self) -> bool:
        return self.kind == "company"

    @property
    def postal_address(self) -> str:
        """The address on one line, as Russian registries take it ("101000, Москва, ...")."""
        parts = [self.postcode, self.region, self.city, self.street]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Availability:
    """One name's answer to `availability`."""

    name: str  # as asked
    available: bool
    reason: str = ""  # the registry's words when it is not ("In use")
    premium: bool = False  # the registry prices it above the zone's tariff


@dataclass(frozen=True)
class DomainInfo:
    """The registry's view of a domain: the truth billing's paid-until follows."""

    name: str
    expires_on: dt.date | None
    statuses: tuple[str, ...] = ()  # EPP status values: "ok", "clientTransferProhibited", ...
    nameservers: tuple[str, ...] = ()
    locked: bool = False
    registrant_handle: str = ""
    # RFC 3915 grace states ("addPeriod", "autoRenewPeriod", "redemptionPeriod",
    # "pendingRestore", "pendingDelete"), when the registry reports them.
    grace: tuple[str, ...] = ()


def years(ctx: ProvisioningContext) -> int:
    """The registration or renewal period in whole years: the task's `years`, else the
    service's billing period (domains are billed by multiples of 12 months)."""
    given = ctx.operation_params.get("years")
    if given:
        return int(given)
    return max(1, (ctx.service.period_months or 12) // 12)


class RegistrarModule(ProvisioningModule):
    """A registry (EPP) or a reseller API behind a domain's lifecycle; see the module docstring.

    Subclasses declare `capabilities` from base.CAPABILITIES (which includes
    REGISTRAR_CAPABILITIES) and implement those methods; the rest raise NotSupported."""

    @unimplemented
    def availability(self, server: ServerAccess, names: Sequence[str]) -> list[Availability]:
        """Which of `names` are free to register, in the order asked."""
        raise self._unsupported("availability")

    @unimplemented
    def info(self, ctx: ProvisioningContext) -> DomainInfo:
        raise self._unsupported("info")

    @unimplemented
    def transfer_in(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Request the transfer with `ctx.auth_code`; done=True once the registry took the
        request (the transfer completes days later: `info` tells)."""
        raise self._unsupported("transfer_in")

    @unimplemented
    def transfer_out(self, ctx: ProvisioningContext) -> str:
        """Unlock the domain and return its auth code for the gaining registrar."""
        raise self._unsupported("transfer_out")

    @unimplemented
    def set_nameservers(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Make the domain's nameservers exactly `ctx.nameservers`."""
        raise self._unsupported("set_nameservers")

    @unimplemented
    def update_contacts(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Bring the registry's registrant up to `ctx.registrant`."""
        raise self._unsupported("update_contacts")

    @unimplemented
    def lock(self, ctx: ProvisioningContext, *, locked: bool) -> ProvisioningResult:
        raise self._unsupported("lock")

    @unimplemented
    def restore(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Bring the domain back from the registry's redemption period (the renewal that
        follows is its own task); done=True also when it is not in redemption any more."""
        raise self._unsupported("restore")
