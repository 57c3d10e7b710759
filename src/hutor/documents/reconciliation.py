"""The reconciliation statement (акт сверки взаимных расчётов) of one billing account for a
period, read from the ledger: the opening balance, every movement of the customer's balance in
the period (payments, invoices paid from it, refunds, corrections), the turnovers and the
closing balance, as the provider's books show them. The customer's half of the table is left
for them to fill in and sign, as the standard layout has it.

Columns are the provider's: *debit* is what the customer came to owe or was paid back (an
invoice paid from the balance, a refund), *credit* is what the customer paid (a top-up, a
credit back). A positive balance of the billing account is the provider's debt to the customer
(an advance); a negative one the customer's debt. Nothing is stored: the ledger is append-only,
so the same period always gives the same statement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.companies import company_for
from hutor.core.money import Money
from hutor.core.words import amount_in_words_en, amount_in_words_ru
from hutor.ledger.models import EntryKind, Posting
from hutor.offers.queries import contract_of

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount

# The longest period one statement covers; a longer one is asked for in parts.
MAX_DAYS = 366 * 5


class PeriodError(ValueError):
    """A period that cannot be reconciled, with the reason in the reader's language."""


@dataclass(frozen=True)
class Row:
    day: dt.date
    kind: str  # the ledger entry's kind and reference: the row's words come from them
    reference: str
    debit: Decimal | None
    credit: Decimal | None

    @property
    def document(self) -> str:
        """The movement as the "document" column names it, in the active language; "№ 26-000001"
        is never broken at its space."""
        amount = self.credit if self.credit is not None else -(self.debit or Decimal(0))
        return _describe(self.kind, self.reference, amount).replace("№ ", "№\u00a0")


@dataclass(frozen=True)
class Reconciliation:
    account: BillingAccount
    start: dt.date
    end: dt.date
    opening: Money  # the balance at the start of `start` (positive: the customer's advance)
    rows: list[Row]
    debit_turnover: Money
    credit_turnover: Money
    closing: Money  # the balance at the end of `end`

    @property
    def currency(self) -> str:
        return self.opening.currency


def check_period(start: dt.date, end: dt.date) -> None:
    """Refuse a period that ends before it starts, lies in the future or is too long."""
    if end < start:
        raise PeriodError(_("The period ends before it starts."))
    if start > clock.today():
        raise PeriodError(_("The period starts in the future."))
    if (end - start).days >= MAX_DAYS:
        raise PeriodError(_("A statement covers at most five years; ask for a shorter period."))


def _midnight(day: dt.date) -> dt.datetime:
    """The start of a day in the provider's time zone, as an aware time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def build(account: BillingAccount, start: dt.date, end: dt.date) -> Reconciliation:
    """The statement of `account` from the start of `start` to the end of `end` (local days;
    an end after today is cut to today)."""
    check_period(start, end)
    end = min(end, clock.today())
    since, until = _midnight(start), _midnight(end + dt.timedelta(days=1))
    postings = Posting.objects.filter(account__billing_account=account)
    before = postings.filter(entry__created_at__lt=since).aggregate(total=Sum("amount"))["total"]
    opening = Money(before or Decimal(0), account.currency).rounded()
    rows: list[Row] = []
    debit = credit = Decimal(0)
    moved = (
        postings.filter(entry__created_at__gte=since, entry__created_at__lt=until)
        .select_related("entry")
        .order_by("entry__created_at", "entry_id", "id")
    )
    for posting in moved:
        amount = Decimal(posting.amount)
        if amount > 0:
            credit += amount
        else:
            debit -= amount
        rows.append(
            Row(
                day=timezone.localdate(posting.entry.created_at),
                kind=posting.entry.kind,
                reference=posting.entry.reference,
                debit=-amount if amount < 0 else None,
                credit=amount if amount > 0 else None,
            )
        )
    return Reconciliation(
        account=account,
        start=start,
        end=end,
        opening=opening,
        rows=rows,
        debit_turnover=Money(debit, account.currency).rounded(),
        credit_turnover=Money(credit, account.currency).rounded(),
        closing=(opening + Money(credit - debit, account.currency)).rounded(),
    )


def _describe(kind: str, reference: str, amount: Decimal) -> str:
    """The movement as the statement's "document" column names it, in the active language."""
    number = reference or "—"
    if kind == EntryKind.TOP_UP:
        return _("Payment № %(number)s") % {"number": number}
    if kind == EntryKind.SETTLEMENT:
        return _("Services by invoice № %(number)s") % {"number": number}
    if kind == EntryKind.REFUND:
        return _("Refund of payment № %(number)s") % {"number": number}
    if kind == EntryKind.TARIFF_CREDIT:
        return _("Credit for unused days at a tariff change (%(number)s)") % {"number": number}
    if kind == EntryKind.CANCELLATION_CREDIT:
        return _("Credit for unused days of a cancelled service (%(number)s)") % {"number": number}
    if kind == EntryKind.REVERSAL:
        return _("Reversal of an earlier entry (%(number)s)") % {"number": number}
    if amount > 0:
        return _("Correction in the customer's favour")
    return _("Correction in the provider's favour")


def _date(day: dt.date, language: str) -> str:
    return formats.date_format(day, "d.m.Y")


def context(statement: Reconciliation, language: str) -> dict[str, Any]:
    account = statement.account
    # The party: the company billing the customer's kind (core.companies), since a customer's
    # balance is one across the companies and this statement reads it whole.
    provider = company_for(None, account.kind)
    offer = contract_of(account.pk, statement.end)
    with translation.override(language):
        title = _("Reconciliation statement for %(start)s – %(end)s") % {
            "start": _date(statement.start, language),
            "end": _date(statement.end, language),
        }
        closing = statement.closing
        debt = Money(abs(closing.amount), closing.currency)
        if closing.amount > 0:
            result = _(
                "According to %(provider)s, as of %(date)s the debt in favour of %(customer)s "
                "(an advance paid) is %(amount)s %(currency)s"
            )
        elif closing.amount < 0:
            result = _(
                "According to %(provider)s, as of %(date)s the debt in favour of %(provider)s "
                "is %(amount)s %(currency)s"
            )
        else:
            result = _("According to %(provider)s, as of %(date)s there is no debt on either side")
        words = ""
        if closing.amount and debt.currency == "RUB":
            words = amount_in_words_ru(debt) if language == "ru" else amount_in_words_en(debt)
            words = words[:1].lower() + words[1:]  # inside the sentence, in brackets
        result = result % {
            "provider": provider.short_name if provider else "",
            "customer": account.name,
            "date": _date(statement.end, language),
            "amount": formats.number_format(debt.amount, 2, use_l10n=True, force_grouping=True),
            "currency": debt.currency,
        }
    return {
        "statement": statement,
        "account": account,
        "provider": provider,
        "offer": offer,
        "title": title,
        "result": result,
        "result_words": words,
        "opening_debit": -statement.opening.amount if statement.opening.amount < 0 else None,
        "opening_credit": statement.opening.amount if statement.opening.amount > 0 else None,
        "closing_debit": -closing.amount if closing.amount < 0 else None,
        "closing_credit": closing.amount if closing.amount > 0 else None,
        "language": language,
    }


def render_html(statement: Reconciliation, language: str, *, standalone: bool = True) -> str:
    with translation.override(language):
        return render_to_string(
            "documents/reconciliation.html",
            {**context(statement, language), "standalone": standalone},
        )


def render_pdf(statement: Reconciliation, language: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    return bytes(HTML(string=render_html(statement, language)).write_pdf())


def pdf_filename(statement: Reconciliation) -> str:
    return (
        f"reconciliation-{statement.account.number}-"
        f"{statement.start:%Y%m%d}-{statement.end:%Y%m%d}.pdf"
    )
