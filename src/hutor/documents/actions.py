"""Issuing closing documents: the one writer of ClosingDocument and ClosingLine.

`close_account` closes one month for one billing account in one transaction: it locks the
account (accounts.actions.lock, the order every money operation takes), reads what was rendered
in the month (documents.rendering), groups it by the provider company that sold each service
(core.companies.company_for) and, for each company whose month has no document yet, issues the
act or УПД with the next number of that company's series for the year (core.sequences: the
counter's row is locked until the transaction ends, so numbers are gapless under reruns and
concurrent runs). When the month already has one and what was rendered has changed since (a
refund, a tariff change), it issues a correction document instead, never touching the issued
one; when nothing changed it does nothing. The unique key (account, company, month, kind,
correction) backs this up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.accounts.models import AccountKind, BillingAccount
from hutor.core import clock
from hutor.core import companies as core_companies
from hutor.core.models import Provider
from hutor.core.money import Money
from hutor.core.sequences import next_value
from hutor.documents import emails, rendering
from hutor.documents.calculations import MonthError, last_day, next_month
from hutor.documents.models import ClosingDocument, ClosingKind, ClosingLine, ClosingSetting
from hutor.invoices.actions import payer_snapshot, provider_snapshot
from hutor.invoices.queries import one_off_lines
from hutor.offers.queries import contract_of
from hutor.services import cancellations
from hutor.taxes.calculations import TaxTerms, vat_included
from hutor.taxes.queries import terms_on

# A line's identity across a month's documents (rendering.closing_key).
Key = tuple[str, int | None]

# Customer types that get closing documents; individuals get none (a fiscal receipt is theirs).
ELIGIBLE_KINDS = (AccountKind.COMPANY, AccountKind.SOLE_PROPRIETOR)


def sequence_name(year: int, company: Provider) -> str:
    """The core.sequences counter of a company's closing documents of a year (acts, УПД,
    corrections): "closing-YYYY-c<id>", named by the company's id, never by which company is
    the default, so moving the default mid-year leaves every company's series where it was
    (migration 0008 renamed the default company's old "closing-YYYY")."""
    return f"closing-{year}-c{company.pk}"


def document_kind(provider_id: int, account_kind: str) -> str:
    """The closing document the provider issues to this customer type (an act by default)."""
    setting = ClosingSetting.objects.filter(
        provider_id=provider_id, account_kind=account_kind
    ).first()
    return setting.document_kind if setting is not None else ClosingKind.ACT


def check_month(month: dt.date) -> None:
    """A month can be closed once it has ended (the provider's local date)."""
    if next_month(month) > clock.today():
        raise MonthError(_("The month has not ended yet: it can be closed from its next day."))


def _vat(amount: Decimal, currency: str, rate: Decimal | None) -> Decimal | None:
    vat = vat_included(Money(amount, currency), rate)
    return None if vat is None else vat.amount


@dataclass
class Run:
    """What every account of one close of a month shares, read once: the companies, and per
    company its snapshot, the tax terms of the month's last day and the document kind per
    customer type; the tariffs' names and companies (rendering.Tariffs). A single account's
    close makes its own."""

    month: dt.date
    companies: core_companies.Companies | None = None
    providers: dict[int, dict[str, Any]] = field(default_factory=dict)
    terms: dict[int, TaxTerms] = field(default_factory=dict)
    kinds: dict[tuple[int, str], str] = field(default_factory=dict)
    tariffs: rendering.Tariffs = field(default_factory=dict)

    def company_for(self, tariff: Any, account_kind: str, seller_id: int | None = None) -> Provider:
        """The company that sold a line: the one whose invoice paid for it, else the tariff's,
        the kind's or the default (core.companies)."""
        if self.companies is None:
            self.companies = core_companies.load()
        if seller_id is not None and seller_id in self.companies.by_id:
            return self.companies.by_id[seller_id]
        company = self.companies.company_for(
            tariff.company_id if tariff is not None else None, account_kind
        )
        if company is None:
            provider_snapshot()  # raises ProviderNotConfigured
        assert company is not None
        return company

    def snapshot(self, company: Provider) -> dict[str, Any]:
        if company.pk not in self.providers:
            self.providers[company.pk] = provider_snapshot(company)
        return self.providers[company.pk]

    def terms_on_last_day(self, company: Provider) -> TaxTerms:
        if company.pk not in self.terms:
            self.terms[company.pk] = terms_on(company.pk, last_day(self.month))
        return self.terms[company.pk]

    def kind_for(self, company: Provider, account_kind: str) -> str:
        key = (company.pk, account_kind)
        if key not in self.kinds:
            self.kinds[key] = document_kind(company.pk, account_kind)
        return self.kinds[key]


def close_account(
    account: BillingAccount, month: dt.date, *, corrections: bool = True, run: Run | None = None
) -> list[ClosingDocument]:
    """Close `month` for one account (see the module's docstring): the documents issued, one
    per provider company at most (none when there was nothing to issue). `corrections=False`
    (the daily run) only issues a company's first document of the month."""
    if account.kind not in ELIGIBLE_KINDS:
        return []
    run = run if run is not None and run.month == month else Run(month)
    documents: list[ClosingDocument] = []
    with transaction.atomic():
        lock_billing_account(account)
        issued: dict[int, list[ClosingDocument]] = {}
        for old in ClosingDocument.objects.filter(billing_account=account, month=month).order_by(
            "correction"
        ):
            issued.setdefault(old.company_id, []).append(old)
        lines = rendering.rendered(account, month, tariffs=run.tariffs)
        by_company: dict[int, list[rendering.Rendered]] = {pk: [] for pk in issued}
        companies: dict[int, Provider] = {}
        for line in lines:
            company = run.company_for(line.tariff, account.kind, line.seller_id)
            companies[company.pk] = company
            by_company.setdefault(company.pk, []).append(line)
        for pk, own in by_company.items():
            done = issued.get(pk, [])
            if done and not corrections:
                continue
            document: ClosingDocument | None
            if not done:
                document = _issue_original(account, run, companies[pk], own)
            else:
                document = _issue_correction(account, done[0], done[-1], own)
            if document is not None:
                emails.queue(document)  # the outbox: sent by the worker once this commits
                documents.append(document)
    return documents


def _issue_original(
    account: BillingAccount, run: Run, company: Provider, lines: list[rendering.Rendered]
) -> ClosingDocument:
    month = run.month
    provider = run.snapshot(company)
    issued_on = last_day(month)
    terms = run.terms_on_last_day(company)
    offer = contract_of(account.pk, issued_on)
    currency = account.currency
    vats = [_vat(line.amount, currency, terms.rate) for line in lines]
    document = ClosingDocument.objects.create(
        kind=run.kind_for(company, account.kind),
        year=issued_on.year,
        number=next_value(sequence_name(issued_on.year, company)),
        issued_on=issued_on,
        month=month,
        billing_account=account,
        company=company,
        correction=0,
        provider=provider,
        payer=payer_snapshot(account),
        offer_number=offer.number if offer else "",
        offer_date=offer.effective_from if offer else None,
        tax_regime=terms.regime,
        vat_rate=terms.rate,
        total=sum((line.amount for line in lines), Decimal(0)),
        vat_amount=None if terms.rate is None else sum((v or Decimal(0) for v in vats), Decimal(0)),
        currency=currency,
        created_at=clock.now(),
    )
    ClosingLine.objects.bulk_create(
        ClosingLine(
            document=document,
            position=position,
            service_id=line.service_id,
            invoice_line_id=line.invoice_line_id,
            description_ru=line.description_ru,
            description_en=line.description_en,
            start=line.start,
            end=line.end,
            amount=line.amount,
            vat_amount=vat,
        )
        for position, (line, vat) in enumerate(zip(lines, vats, strict=True), start=1)
    )
    return document


def _issue_correction(
    account: BillingAccount,
    original: ClosingDocument,
    latest: ClosingDocument,
    lines: list[rendering.Rendered],
) -> ClosingDocument | None:
    """A correction of `original` from the figures of the latest document of the month to
    those rendered now, or None when they are the same."""
    before: dict[Key, ClosingLine] = {
        rendering.closing_key(line.service_id, line.invoice_line_id): line
        for line in latest.lines.all()
    }
    now: dict[Key, rendering.Rendered] = {line.key: line for line in lines}
    if {k: v.amount for k, v in before.items()} == {k: v.amount for k, v in now.items()}:
        return None
    issued_on = clock.today()
    rate = original.vat_rate  # the correction changes the original's figures, at its rate
    currency = original.currency
    document = ClosingDocument.objects.create(
        kind=original.kind,
        year=issued_on.year,
        number=next_value(sequence_name(issued_on.year, original.company)),
        issued_on=issued_on,
        month=original.month,
        billing_account=account,
        company=original.company,
        correction=latest.correction + 1,
        corrects=original,
        provider=original.provider,
        payer=payer_snapshot(account),
        offer_number=original.offer_number,
        offer_date=original.offer_date,
        tax_regime=original.tax_regime,
        vat_rate=rate,
        total=Decimal(0),
        vat_amount=None if rate is None else Decimal(0),
        total_before=latest.total,
        vat_before=latest.vat_amount,
        currency=currency,
        created_at=clock.now(),
    )
    rows: list[ClosingLine] = []
    keys = list(before) + [key for key in now if key not in before]
    for position, key in enumerate(keys, start=1):
        old, new = before.get(key), now.get(key)
        amount = new.amount if new is not None else Decimal(0)
        source = new if new is not None else old
        assert source is not None
        rows.append(
            ClosingLine(
                document=document,
                position=position,
                service_id=source.service_id,
                invoice_line_id=source.invoice_line_id,
                description_ru=source.description_ru,
                description_en=source.description_en,
                start=source.start,
                end=source.end,
                amount=amount,
                vat_amount=_vat(amount, currency, rate),
                amount_before=old.amount if old is not None else Decimal(0),
                vat_before=(
                    old.vat_amount if old is not None else _vat(Decimal(0), currency, rate)
                ),
            )
        )
    ClosingLine.objects.bulk_create(rows)
    document.total = sum((row.amount for row in rows), Decimal(0))
    if rate is not None:
        document.vat_amount = sum((row.vat_amount or Decimal(0) for row in rows), Decimal(0))
    document.save(update_fields=["total", "vat_amount"])
    return document


@dataclass
class CloseReport:
    issued: int = 0
    corrections: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def close_month(
    month: dt.date,
    *,
    corrections: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CloseReport:
    """Close `month` for every company and sole-proprietor account with services rendered in
    it (and, with `corrections`, every account that already has a document for it), one
    transaction per account; safe to rerun. MonthError for a month not yet ended."""
    check_month(month)
    rendered_ids = set(
        BillingAccount.objects.filter(
            kind__in=ELIGIBLE_KINDS,
            services__paid_periods__start__lt=next_month(month),
            services__paid_periods__end__gt=month,
            services__paid_periods__amount__gt=0,
        ).values_list("pk", flat=True)
    )
    rendered_ids |= set(
        one_off_lines(start=month, end=next_month(month))
        .filter(invoice__billing_account__kind__in=ELIGIBLE_KINDS)
        .values_list("invoice__billing_account_id", flat=True)
    )
    closed_ids = set(
        ClosingDocument.objects.filter(month=month).values_list("billing_account_id", flat=True)
    )
    ids = sorted(rendered_ids | closed_ids) if corrections else sorted(rendered_ids - closed_ids)
    report = CloseReport()
    run = Run(month)
    accounts = BillingAccount.objects.in_bulk(ids)
    for done, pk in enumerate(ids, start=1):
        account = accounts[pk]
        try:
            documents = close_account(account, month, corrections=corrections, run=run)
        except Exception as exc:  # one account's failure must not stop the others
            report.errors.append(f"{account.number}: {type(exc).__name__}: {exc}"[:500])
        else:
            if not documents:
                report.unchanged += 1
            for document in documents:
                if document.correction:
                    report.corrections += 1
                else:
                    report.issued += 1
        if progress is not None:
            progress(done, len(ids))
    return report


# How far back the daily run looks for cancellations whose cut paid periods reach into a month
# that already has its document (the month closed before the cut changed its figures).
CANCELLATION_LOOKBACK_DAYS = 40


def correct_after_cancellations(today: dt.date) -> CloseReport:
    """Close again the months that already have a document and that a service cancelled in the
    last CANCELLATION_LOOKBACK_DAYS days had paid periods in (services.cancellations): a month
    whose figures the cut changed gets a correction document, the others nothing (rerun-safe:
    a correction is issued only while what was rendered differs from the latest document)."""
    report = CloseReport()
    since = today - dt.timedelta(days=CANCELLATION_LOOKBACK_DAYS)
    earliest: dict[int, dt.date] = {}
    for account_id, start in cancellations.cut_since(since):
        earliest[account_id] = min(start.replace(day=1), earliest.get(account_id, start))
    if not earliest:
        return report
    accounts = BillingAccount.objects.in_bulk(sorted(earliest))
    months = (
        ClosingDocument.objects.filter(billing_account_id__in=earliest, correction=0)
        .values_list("billing_account_id", "month")
        .order_by("billing_account_id", "month")
        .distinct()  # one close per month, whichever companies issued in it
    )
    for account_id, month in months:
        if month < earliest[account_id].replace(day=1) or next_month(month) > today:
            continue
        account = accounts[account_id]
        try:
            documents = close_account(account, month, corrections=True)
        except Exception as exc:  # one account's failure must not stop the others
            report.errors.append(f"{account.number}: {type(exc).__name__}: {exc}"[:500])
            continue
        if not documents:
            report.unchanged += 1
        for document in documents:  # one per provider company at most
            if document.correction:
                report.corrections += 1
            else:
                report.issued += 1
    return report
