"""The desk's one search box: whatever the customer quotes, find the record (S9).

Every reading of the text is tried at once, since the same digits may be several things
("26000123" is an invoice number without its dash, and could be a payment's): a billing
account number (its check digit verified), an invoice number ("26-000123", "26000123",
"26/000123", "№ 26-000123"), a payment number, a payment service's transaction id, an email,
a domain or hostname (Unicode or punycode), an INN, a ticket number ("T-10042"), and last a
name. One match opens the
record; several are listed.

A number that fails its check digit is never looked up as it is: the valid numbers one
keystroke away (a digit replaced, two neighbours swapped) that belong to an account are
offered as suggestions, and staff choose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import idna
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.accounts import numbers
from hutor.accounts.models import BillingAccount
from hutor.invoices import numbers as invoice_numbers
from hutor.invoices.models import Invoice
from hutor.payments import numbers as payment_numbers
from hutor.payments.models import Payment
from hutor.services.models import Service
from hutor.support import numbers as ticket_numbers
from hutor.support.models import Ticket

_PREFIXES = re.compile(r"^(№|no\.?|n°|#|номер|счет|счёт|invoice|account|payment)\s*", re.I)
_DOMAIN = re.compile(r"^[\w.-]+\.[\w-]+$", re.U)
LIMIT = 20


@dataclass(frozen=True)
class Hit:
    kind: str  # "account", "invoice", "payment", "service", "ticket"
    title: str  # the number or name shown big
    detail: str  # what else identifies it
    url: str
    account_number: str = ""


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    # Valid account numbers one typo away from a number whose check digit failed.
    suggestions: list[Hit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unique(self) -> Hit | None:
        return self.hits[0] if len(self.hits) == 1 and not self.suggestions else None


def _account_hit(account: BillingAccount, detail: str = "") -> Hit:
    return Hit(
        kind="account",
        title=account.number,
        detail=detail or f"{account.name} · {account.contact_email}",
        url=reverse("desk:account", args=[account.number]),
        account_number=account.number,
    )


def _invoice_hit(invoice: Invoice) -> Hit:
    return Hit(
        kind="invoice",
        title=invoice.number,
        detail=f"{invoice.billing_account.number} · {invoice.get_status_display()} · "
        f"{invoice.total} {invoice.currency}",
        url=reverse("desk:invoice", args=[invoice.number]),
        account_number=invoice.billing_account.number,
    )


def _payment_hit(payment: Payment, detail: str = "") -> Hit:
    return Hit(
        kind="payment",
        title=payment.number,
        detail=detail
        or f"{payment.billing_account.number} · {payment.get_status_display()} · "
        f"{payment.amount} {payment.currency}",
        url=reverse("desk:payment", args=[payment.number]),
        account_number=payment.billing_account.number,
    )


def _service_hit(service: Service) -> Hit:
    return Hit(
        kind="service",
        title=service.identifier or str(service.tariff),
        detail=f"{service.billing_account.number} · {service.tariff.name} · "
        f"{service.get_status_display()}",
        url=reverse("desk:service", args=[service.pk]),
        account_number=service.billing_account.number,
    )


def _ticket_hit(ticket: Ticket) -> Hit:
    account = ticket.billing_account.number if ticket.billing_account else ticket.email
    return Hit(
        kind="ticket",
        title=ticket.number,
        detail=f"{account} · {ticket.subject} · {ticket.get_status_display()}",
        url=reverse("desk:ticket", args=[ticket.number]),
        account_number=ticket.billing_account.number if ticket.billing_account else "",
    )


def clean(text: str) -> str:
    text = (text or "").strip().strip(".,;:!?\"'«»()[]")
    return _PREFIXES.sub("", text).strip()


def invoice_number(text: str) -> str | None:
    """«26-000123» from "26-000123", "26000123", "26/000123", "26 000123" (invoices.numbers)."""
    return invoice_numbers.parse(text)


def host_of(text: str) -> str:
    """The host name in what was typed: "https://пример.рф/page" -> "пример.рф"."""
    raw = text.strip().lower()
    for prefix in ("http://", "https://"):
        raw = raw.removeprefix(prefix)
    return raw.split("/", 1)[0].rstrip(".")


def domain_forms(text: str) -> set[str]:
    """The Unicode and the punycode form of a domain name (both as typed, lower-cased)."""
    raw = host_of(text)
    forms = {raw}
    try:
        ascii_form = idna.encode(raw, uts46=True).decode("ascii")
        forms |= {ascii_form, idna.decode(ascii_form)}
    except (idna.IDNAError, UnicodeError):
        pass
    return forms


def search(text: str) -> Results:
    query = clean(text)
    results = Results(query=query)
    if not query:
        return results
    hits: dict[str, Hit] = {}

    def add(hit: Hit) -> None:
        hits.setdefault(hit.url, hit)

    # A ticket number ("T-10042", "т10042"; support.numbers).
    ticket_number = ticket_numbers.parse(query)
    if ticket_number:
        for ticket in Ticket.objects.select_related("billing_account").filter(number=ticket_number):
            add(_ticket_hit(ticket))
    compact = numbers.normalize(query)
    # Digits (with the spaces, dashes and dots people dictate them with).
    if compact.isascii() and compact.isdigit():
        _by_number(compact, add, results)
    # An invoice number typed with a slash (normalize() keeps it).
    number = invoice_number(query)
    if number:
        for invoice in Invoice.objects.select_related("billing_account").filter(number=number):
            add(_invoice_hit(invoice))
    if "@" in query:
        for account in BillingAccount.objects.filter(
            Q(contact_email__iexact=query) | Q(user__email__iexact=query)
        )[:LIMIT]:
            add(_account_hit(account))
        if not hits:
            for account in BillingAccount.objects.filter(contact_email__icontains=query)[:LIMIT]:
                add(_account_hit(account))
    elif _DOMAIN.match(host_of(query)) and not compact.isdigit():
        forms = domain_forms(query)
        services = Service.objects.select_related("billing_account", "tariff").filter(
            identifier__in=forms
        )
        for service in services[:LIMIT]:
            add(_service_hit(service))
        if not hits:
            # A subdomain or part of a name: "www.romashka.ru" finds romashka.ru's services.
            wide = Q()
            for form in forms:
                wide |= Q(identifier__icontains=form.removeprefix("www."))
            for service in Service.objects.select_related("billing_account", "tariff").filter(wide)[
                :LIMIT
            ]:
                add(_service_hit(service))
    # A payment service's transaction id: any single word.
    if " " not in query and len(query) >= 4:
        for payment in Payment.objects.select_related("billing_account").filter(
            gateway_transaction_id=query
        )[:LIMIT]:
            add(
                _payment_hit(
                    payment,
                    _("transaction %(id)s · %(account)s")
                    % {"id": query, "account": payment.billing_account.number},
                )
            )
    # Last: part of a name or a company name.
    if not hits and not results.suggestions and len(query) >= 3 and not compact.isdigit():
        for account in BillingAccount.objects.filter(name__icontains=query)[:LIMIT]:
            add(_account_hit(account))
    results.hits = list(hits.values())
    return results


def _by_number(digits: str, add: Callable[[Hit], None], results: Results) -> None:
    # An invoice number without its dash.
    number = invoice_number(digits)
    if number:
        for invoice in Invoice.objects.select_related("billing_account").filter(number=number):
            add(_invoice_hit(invoice))
    # A payment number (payments.numbers); transaction ids are looked up in search().
    if payment_numbers.looks_like(digits):
        for payment in Payment.objects.select_related("billing_account").filter(number=digits):
            add(_payment_hit(payment))
    # An INN (10 digits for a company, 12 for a person or sole proprietor).
    if len(digits) in (10, 12):
        for account in BillingAccount.objects.filter(inn=digits)[:LIMIT]:
            detail = _("INN %(inn)s · %(name)s") % {"inn": digits, "name": account.name}
            add(_account_hit(account, detail))
    # A billing account number: looked up only when its check digit holds.
    if numbers.MIN_LENGTH <= len(digits) <= numbers.MAX_LENGTH:
        if numbers.is_valid(digits):
            exact = BillingAccount.objects.filter(number=digits).first()
            if exact is not None:
                add(_account_hit(exact))
        else:
            neighbours = numbers.typo_neighbours(digits)
            found = BillingAccount.objects.filter(number__in=neighbours).order_by("number")
            results.suggestions = [_account_hit(account) for account in found]
            results.notes.append(
                _(
                    "%(number)s is not a valid billing account number: one digit is probably "
                    "mistyped or two are swapped."
                )
                % {"number": digits}
            )


# What in a free text may be a number or a domain the desk search knows: a word with a digit
# (account, invoice, payment number, "№26-000123": the search itself reads its format), or a
# host name ("romashka.ru", a URL).
_PUNCTUATION = ".,;:!?()[]{}<>\"'«»"
_HOST_WORD = re.compile(r"(?:https?://)?[\w-]+(?:\.[\w-]+)+", re.U)
TEXT_WORDS = 40
QUOTED_KINDS = ("account", "invoice", "payment", "service")


@dataclass(frozen=True)
class Quoted:
    """An account a text points to, and the words of the text that point there."""

    account: BillingAccount
    words: tuple[str, ...]


def accounts_in_text(text: str) -> list[Quoted]:
    """The billing accounts the numbers and domains quoted in a free text (an email to
    support) lead to, by the desk search itself: each number-like word and host name is
    searched as if typed into the desk's box, and the accounts of what it finds (an account, an
    invoice, a payment, a service) are collected, in the order first quoted.

    Only exact finds count: no typo suggestions, no name search, no tickets (a quoted ticket
    number is threading, not identity), no email addresses."""
    words: list[str] = []
    digit_words = [w for w in (text or "").split() if any(ch.isdigit() for ch in w)]
    for found in [*digit_words, *_HOST_WORD.findall(text or "")]:
        word = found.strip(_PUNCTUATION + "/-")
        if word and "@" not in word and word not in words and len(word) <= 100:
            words.append(word)
    pointed: dict[str, list[str]] = {}
    for word in words[:TEXT_WORDS]:
        if "@" in text and f"@{word}" in text:
            continue  # the domain of an email address
        digits = numbers.normalize(word).isdigit()
        for hit in search(word).hits:
            # An account found by its number or INN, never by a word of its name.
            if hit.kind == "account" and not digits:
                continue
            if hit.kind in QUOTED_KINDS and hit.account_number:
                quoted = pointed.setdefault(hit.account_number, [])
                if word not in quoted:
                    quoted.append(word)
    accounts = {a.number: a for a in BillingAccount.objects.filter(number__in=list(pointed))}
    return [
        Quoted(account=accounts[number], words=tuple(quoted))
        for number, quoted in pointed.items()
        if number in accounts
    ]
