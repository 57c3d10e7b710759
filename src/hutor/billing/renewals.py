"""The renewal step of the billing run: renewal invoices for auto-renewing services, paid at
once from the balance where it covers them, in batches.

This is services.actions.renew() + invoices.actions.issue_invoice() + settle_open_invoices()
for hundreds of services per transaction, with the same rules and the same rows:

- which services: auto-renewing, active/suspended/expired, whose paid-until falls within the
  service type's HUTOR_BILLING_RENEW_DAYS_BEFORE days, with no open renewal invoice (e.g. one
  the customer made in the panel) and no renewal of this period yet;
- one invoice per service per period, for one more period of the service's tariff at its
  current price, extending from paid-until (from today for a lapsed service:
  services.actions.renewal_start), due on the day the paid period ends, mailed like any
  invoice (the "invoice_issued" email, key `invoice-issued:<number>`);
- a `Renewal` row per invoice under a unique (service, period_start) constraint: the database,
  not a check, keeps a rerun after a crash from issuing a second one;
- settled at once, by exactly one journal entry keyed `invoice:<number>:settlement` (as
  settle_open_invoices writes it), when the account has no older unpaid invoice (a newer
  invoice never overtakes an older one) and its balance covers it; the paid service is then
  extended, and a suspended one (an expired domain) reactivated with an "unsuspend" task, as
  services.actions.apply_paid_invoice does. An invoice left unpaid is settled by the
  settlement step, or when money arrives.

Per batch, in one transaction: the billing accounts are locked in primary-key order (every
writer of a service takes its account's lock first), then (ledger.post_many) the ledger
accounts; numbers are taken from the invoice
sequence as one block; invoices, lines, renewals, journal entries, postings and emails are
written with one INSERT each (one COPY each on PostgreSQL, and the batch commits without
waiting for the disk there: billing/fastpath.py), and services with one UPDATE per new
paid-until date. A batch that fails is retried service by service, so one bad service costs
only itself. On PostgreSQL the rows that need no invoice number (lines, renewals, services)
are written before the batch takes the shared locks (the invoice sequence, the revenue
accounts), and the step runs in `jobs` processes (default 2), each renewing a disjoint set of
billing accounts on its own connection (renew_due).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from asgiref.local import Local
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Exists, OuterRef, Q

from hutor.accounts.models import BillingAccount
from hutor.billing import fastpath
from hutor.billing.calculations import per_type, renewal_due
from hutor.billing.models import Renewal
from hutor.billing.report import ERRORS_KEPT, StepReport
from hutor.catalog.models import ServiceType, TariffPrice
from hutor.core import clock
from hutor.core.money import Money
from hutor.core.sequences import next_values, reserve_ids

# The same snapshots and number format issue_invoice() uses.
from hutor.invoices.actions import _payer_snapshot, _provider_snapshot, format_number
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind, LedgerAccount
from hutor.notifications.models import OutboxEmail
from hutor.services.actions import (
    RENEWABLE,
    PaidRenewal,
    apply_paid_renewals,
    line_dates,
    line_prefix,
    line_text,
    renew,
)
from hutor.services.calculations import add_months
from hutor.services.models import Service, TariffChange, TariffChangeStatus


class RenewalSkipped(Exception):
    """A due service the step cannot renew (no price for its period, another currency)."""


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def due_services(today: dt.date) -> Any:
    """Services whose renewal invoice is due today and not issued yet (a queryset)."""
    table = settings.HUTOR_BILLING_RENEW_DAYS_BEFORE
    codes = dict(ServiceType.objects.values_list("code", "pk"))
    own = {code: days for code, days in table.items() if code in codes}
    due = Q(
        ~Q(service_type_id__in=[codes[c] for c in own]),
        paid_until__lte=today + dt.timedelta(days=per_type(table, "")),
    )
    for code, days in own.items():
        due |= Q(service_type_id=codes[code], paid_until__lte=today + dt.timedelta(days=days))
    return (
        Service.objects.filter(due, auto_renew=True, status__in=RENEWABLE, paid_until__isnull=False)
        .exclude(
            Exists(
                Renewal.objects.filter(service=OuterRef("pk"), period_start=OuterRef("paid_until"))
            )
        )
        .exclude(
            Exists(
                InvoiceLine.objects.filter(
                    service=OuterRef("pk"),
                    kind=LineKind.PERIOD,
                    invoice__status=InvoiceStatus.UNPAID,
                )
            )
        )
    )


class _Context:
    """What every batch of one step shares: the day, the provider's snapshot, prices and the
    revenue accounts (created before any batch, so a rolled-back batch leaves no stale id)."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.provider = _provider_snapshot()
        self.prices: dict[tuple[int, int, str], TariffPrice] = {}
        self.revenue: dict[tuple[str, str], LedgerAccount] = {}
        for price in TariffPrice.objects.filter(is_active=True).select_related(
            "tariff__service_type"
        ):
            self.prices[(price.tariff_id, price.period_months, price.currency)] = price
            code = price.tariff.service_type.code
            if (code, price.currency) not in self.revenue:
                self.revenue[(code, price.currency)] = ledger.revenue_account(code, price.currency)
        self._prefixes: dict[tuple[int, str], str] = {}
        self._dates: dict[tuple[dt.date, dt.date, str], str] = {}

    @cached_property
    def days_before(self) -> dict[str, int]:
        return dict(settings.HUTOR_BILLING_RENEW_DAYS_BEFORE)

    def text(
        self, price: TariffPrice, identifier: str, start: dt.date, end: dt.date, lang: str
    ) -> str:
        prefix = self._prefixes.get((price.pk, lang))
        if prefix is None:
            prefix = self._prefixes[(price.pk, lang)] = line_prefix(price, lang)
        dates = self._dates.get((start, end, lang))
        if dates is None:
            dates = self._dates[(start, end, lang)] = line_dates(start, end, lang)
        return line_text(prefix, identifier, dates)


@dataclass
class _Plan:
    service: Service
    price: TariffPrice
    start: dt.date
    end: dt.date
    amount: Money
    pay: bool
    renews_from: dt.date  # the paid-until it continues from: the Renewal's period_start
    number: str = ""


def default_jobs() -> int:
    """Processes of the renewal step by default: 2 on PostgreSQL, 1 on SQLite (one writer)."""
    return 2 if fastpath.enabled() else 1


def renew_due(*, today: dt.date, report: StepReport, batch_size: int, jobs: int = 1) -> None:
    """Issue (and where the balance covers them, settle) today's renewal invoices.

    `jobs` > 1 (PostgreSQL only, outside a transaction) renews in that many processes, each
    the services of a disjoint set of billing accounts (`billing_account_id % jobs`), each with
    its own connection; their counts and errors are merged into `report`.
    """
    due = due_services(today)
    # A service whose upgrade still waits for payment renews through services.actions.renew,
    # which withdraws the upgrade first (its quote no longer holds once the paid time grows).
    upgrading = Exists(
        TariffChange.objects.filter(service=OuterRef("pk"), status=TariffChangeStatus.PENDING)
    )
    singles = list(due.filter(upgrading).order_by("pk").select_related("billing_account"))
    rows = list(
        due.exclude(upgrading)
        .order_by("billing_account_id", "pk")
        .values_list("pk", "billing_account_id")
    )
    report.add("due", len(rows) + len(singles))
    if not rows and not singles:
        return
    # Built (and the revenue accounts created) before any batch and before any fork.
    context = _Context(today)
    for service in singles:
        _renew_single(service, context, report)
    if not rows:
        return
    if jobs > 1 and (not fastpath.enabled() or connection.in_atomic_block):
        jobs = 1  # SQLite has one writer; a dry run's transaction cannot be shared
    if jobs <= 1:
        _renew_ids([pk for pk, _account in rows], context, report, batch_size)
        return
    parts: list[list[int]] = [[] for _ in range(jobs)]
    for pk, account_id in rows:
        parts[account_id % jobs].append(pk)
    _renew_parallel([part for part in parts if part], context, report, batch_size)


def _renew_single(service: Service, context: _Context, report: StepReport) -> None:
    price = context.prices.get(
        (service.tariff_id, service.period_months, service.billing_account.currency)
    )
    try:
        if price is None:
            raise RenewalSkipped(
                f"no active price of tariff {service.tariff_id} for "
                f"{service.period_months} months in {service.billing_account.currency}"
            )
        invoice = renew(service=service, price=price)
    except Exception as exc:
        report.error(f"service {service.pk}", exc)
        return
    report.add("issued")
    if invoice.status == InvoiceStatus.PAID:
        report.add("paid")
    report.example(
        f"service {service.pk} {service.identifier}: renewal invoice {invoice.number} "
        f"{invoice.total_money}, the unpaid upgrade withdrawn"
    )


def _renew_ids(ids: Sequence[int], context: _Context, report: StepReport, batch_size: int) -> None:
    done = 0
    for chunk in _chunks(ids, max(batch_size, 1)):
        try:
            with transaction.atomic():
                outcome = _renew_batch(chunk, context)
        except Exception as exc:
            if len(chunk) == 1:
                report.error(f"service {chunk[0]}", exc)
            else:
                # Retried service by service: the one that fails costs only itself.
                for service_id in chunk:
                    try:
                        with transaction.atomic():
                            outcome = _renew_batch([service_id], context)
                    except Exception as exc_one:
                        report.error(f"service {service_id}", exc_one)
                    else:
                        outcome.merge_into(report)
        else:
            outcome.merge_into(report)
        done += len(chunk)
        report.advance(done, len(ids))


def _renew_parallel(
    parts: list[list[int]], context: _Context, report: StepReport, batch_size: int
) -> None:
    """Renew each part in a forked process of its own and merge what they report.

    Safe because the parts share no billing account (every batch locks its accounts first,
    so even an overlap would only wait), every batch is its own transaction in its own
    process, invoice numbers come from the row-locked sequence (a block per batch, held until
    it commits) and the unique constraints (renewal per service and period, entry and email
    keys) stay the last word, as for two runs side by side.
    """
    mp = multiprocessing.get_context("fork")
    messages: Any = mp.Queue()
    # Each child opens its own connection; one inherited across fork must never be shared.
    connections.close_all()
    procs = [
        mp.Process(
            target=_worker,
            args=(k, part, context, batch_size, report.step, report.pause, messages),
            daemon=True,
        )
        for k, part in enumerate(parts)
    ]
    total = sum(len(part) for part in parts)
    done = [0] * len(parts)
    results: dict[int, dict[str, Any]] = {}
    try:
        for proc in procs:
            proc.start()
        while len(results) < len(procs):
            try:
                kind, k, value = messages.get(timeout=0.5)
            except queue.Empty:
                if any(p.is_alive() for p in procs):
                    continue
                break  # every child has exited; what it sent has been read
            if kind == "progress":
                done[k] = value
                if report.progress is not None:
                    report.progress(report.step, sum(done), total)
            else:
                results[k] = value
        for proc in procs:
            proc.join()
    finally:
        for proc in procs:
            if proc.is_alive():  # pragma: no cover - the parent was interrupted
                proc.terminate()
                proc.join()
    for k, proc in enumerate(procs):
        result = results.get(k)
        if result is None:
            # Its committed batches stand; the rest are renewed by the next run.
            report.error(
                f"renewal process {k}",
                RuntimeError(f"exited with code {proc.exitcode} before reporting"),
            )
            continue
        report.counts.update({key: n for key, n in result["counts"].items() if n})
        for text in result["sample"]:
            report.example(text)
        room = max(ERRORS_KEPT - len(report.errors), 0)
        report.errors.extend(result["errors"][:room])
        report.error_count += result["error_count"]


# Connections a forked child inherited: kept referenced and never closed (closing one would end
# the parent's session on the shared socket); the child exits with os._exit, without finalisers.
_INHERITED: list[Any] = []


def _forget_inherited_connections() -> None:
    """Give a forked child empty connection storage, so it opens connections of its own.

    The parent closes its connections before forking, but Django keeps them in asgiref's Local,
    whose storage can hold connections of other contexts of the same thread (a test's browser
    driver, an async adapter); a child that found one would share its socket with the parent.
    """
    _INHERITED.append(connections._connections)  # type: ignore[attr-defined]
    connections._connections = Local(connections.thread_critical)  # type: ignore[attr-defined]


def _worker(
    k: int,
    ids: list[int],
    context: _Context,
    batch_size: int,
    step: str,
    pause: float,
    messages: Any,
) -> None:
    """A renewal process (forked): renews `ids` on its own connection, sends its report."""
    _forget_inherited_connections()
    report = StepReport(
        step, progress=lambda _step, done, _total: messages.put(("progress", k, done)), pause=pause
    )
    try:
        _renew_ids(ids, context, report, batch_size)
    except Exception as exc:
        report.error(f"renewal process {k}", exc)
    finally:
        connections.close_all()
        messages.put(
            (
                "result",
                k,
                {
                    "counts": dict(report.counts),
                    "sample": report.sample,
                    "errors": report.errors,
                    "error_count": report.error_count,
                },
            )
        )


@dataclass
class _Outcome:
    """What a batch did; merged into the step's report only once the batch has committed."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    problems: list[tuple[str, Exception]] = field(default_factory=list)

    def merge_into(self, report: StepReport) -> None:
        report.counts.update({key: n for key, n in self.counts.items() if n})
        for text in self.examples:
            report.example(text)
        for obj, exc in self.problems:
            report.error(obj, exc)


def _renew_batch(service_ids: Sequence[int], context: _Context) -> _Outcome:
    outcome = _Outcome()
    counts = outcome.counts
    today = context.today
    now = clock.now()
    # PostgreSQL: this batch's commit need not wait for the disk (see fastpath.relax_commit:
    # a batch lost to a server crash is renewed again by the next run).
    fastpath.relax_commit()
    fast = fastpath.enabled()
    # Lock order: billing accounts (primary-key order), then ledger accounts (post_many).
    account_ids = sorted(
        set(Service.objects.filter(pk__in=service_ids).values_list("billing_account_id", flat=True))
    )
    list(
        BillingAccount.objects.select_for_update()
        .filter(pk__in=account_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Every writer of a service takes its billing account's lock first (services.actions,
    # billing.actions), so the services need no row locks of their own here.
    services = list(
        Service.objects.filter(pk__in=service_ids)
        .select_related("billing_account", "service_type")
        .order_by("billing_account_id", "pk")
    )
    # Read again under the locks: a run beside this one, or the customer, may have renewed.
    claimed = set(
        Renewal.objects.filter(service_id__in=service_ids).values_list("service_id", "period_start")
    )
    open_renewals = set(
        InvoiceLine.objects.filter(
            service_id__in=service_ids,
            kind=LineKind.PERIOD,
            invoice__status=InvoiceStatus.UNPAID,
        ).values_list("service_id", flat=True)
    )
    # An account with an older unpaid invoice pays that first (settlement order), not this one.
    waiting = set(
        Invoice.objects.filter(
            billing_account_id__in=account_ids, status=InvoiceStatus.UNPAID
        ).values_list("billing_account_id", flat=True)
    )
    balances = {
        la.billing_account_id: la
        for la in LedgerAccount.objects.filter(billing_account_id__in=account_ids)
    }
    available = {account_id: la.balance for account_id, la in balances.items()}

    plans: list[_Plan] = []
    for service in services:
        account = service.billing_account
        paid_until = service.paid_until
        if (
            paid_until is None
            or not service.auto_renew
            or service.status not in RENEWABLE
            or not renewal_due(
                today=today,
                paid_until=paid_until,
                days_before=per_type(context.days_before, service.service_type.code),
            )
        ):
            counts["not_due"] += 1
            continue
        if (service.pk, paid_until) in claimed or service.pk in open_renewals:
            counts["already"] += 1
            continue
        price = context.prices.get((service.tariff_id, service.period_months, account.currency))
        if price is None:
            outcome.problems.append(
                (
                    f"service {service.pk}",
                    RenewalSkipped(
                        f"no active price of tariff {service.tariff_id} for "
                        f"{service.period_months} months in {account.currency}"
                    ),
                )
            )
            counts["skipped"] += 1
            continue
        start = paid_until if paid_until >= today else today
        amount = Money(price.price, price.currency).rounded()
        pay = account.pk not in waiting and available.get(account.pk, 0) >= amount.amount
        if pay:
            available[account.pk] -= amount.amount
        else:
            waiting.add(account.pk)  # this account's later renewals wait behind this one
        plans.append(
            _Plan(
                service,
                price,
                start,
                add_months(start, price.period_months),
                amount,
                pay,
                paid_until,
            )
        )
    if not plans:
        return outcome

    # The invoices are built before the shared locks (the invoice sequence's row, the revenue
    # accounts' rows), which are held until the batch commits: what runs under them is what
    # processes renewing side by side (renew_due's `jobs`) must take in turn.
    payers: dict[int, dict[str, Any]] = {}
    invoices = []
    for plan in plans:
        account = plan.service.billing_account
        if account.pk not in payers:
            payers[account.pk] = _payer_snapshot(account)
        invoices.append(
            # Foreign keys by id: a model's related-object machinery costs more than the
            # rest of the row when there are a hundred thousand of them.
            Invoice(
                number="",  # from the sequence, below
                billing_account_id=account.pk,
                kind=InvoiceKind.RENEWAL,
                status=InvoiceStatus.PAID if plan.pay else InvoiceStatus.UNPAID,
                currency=account.currency,
                total=plan.amount.amount,
                vat_rate=context.provider["vat_rate"],
                issued_at=now,
                issue_date=today,
                # Due when the paid period ends: the reminders count from here.
                due_date=plan.start,
                paid_at=now if plan.pay else None,
                settlement_entry_id=None,
                payer=payers[account.pk],
                provider=context.provider,
                language=account.language,
            )
        )
    paying = [plan for plan in plans if plan.pay]
    if fast:
        # PostgreSQL: the invoices' ids first, so the rows that only refer to them are written
        # before the shared locks (the foreign keys are checked at commit).
        for invoice, pk in zip(invoices, reserve_ids(Invoice, len(invoices)), strict=True):
            invoice.pk = pk
        lapsed = _write_dependents(plans, invoices, paying, context, now)

    year = today.year
    for plan, invoice, value in zip(
        plans, invoices, next_values(f"invoice-{year}", len(plans)), strict=True
    ):
        plan.number = invoice.number = format_number(year, value)

    for plan in paying:
        if plan.service.billing_account_id not in balances:  # never topped up: cannot pay
            raise RuntimeError("a paying account has no ledger account")  # pragma: no cover
    entries = ledger.post_many(
        [
            ledger.EntryDraft(
                lines=[
                    (balances[plan.service.billing_account_id], -plan.amount),
                    (
                        context.revenue[(plan.service.service_type.code, plan.amount.currency)],
                        plan.amount,
                    ),
                ],
                kind=EntryKind.SETTLEMENT,
                memo=f"Invoice {plan.number}",
                reference=plan.number,
                billing_account=plan.service.billing_account,
                idempotency_key=f"invoice:{plan.number}:settlement",
            )
            for plan in paying
        ],
        insert=fastpath.copy_insert if fast else None,
    )
    entry_of = {plan.number: entry for plan, (entry, _new) in zip(paying, entries, strict=True)}
    for plan, invoice in zip(plans, invoices, strict=True):
        entry = entry_of.get(plan.number)
        if entry is not None:
            invoice.settlement_entry_id = entry.pk
    fastpath.insert(invoices)
    if not fast:
        lapsed = _write_dependents(plans, invoices, paying, context, now)

    emails = [
        OutboxEmail(
            key=f"invoice-issued:{invoice.number}",
            template="invoice_issued",
            to_email=plan.service.billing_account.contact_email,
            language=invoice.language,
            params={"invoice": invoice.number},
            billing_account_id=invoice.billing_account_id,
            next_attempt_at=now,
            created_at=now,
        )
        for plan, invoice in zip(plans, invoices, strict=True)
    ]
    if fast:
        fastpath.copy_insert(emails, skip_existing="key")
    else:
        OutboxEmail.objects.bulk_create(emails, ignore_conflicts=True)
    counts["issued"] += len(plans)
    counts["paid"] += len(paying)
    counts["reactivated"] += len(lapsed)
    outcome.examples = [
        f"service {plan.service.pk} {plan.service.identifier}: renewal invoice {plan.number} "
        f"{plan.amount}, {'paid from the balance' if plan.pay else 'unpaid'}"
        for plan in plans[:5]
    ]
    return outcome


def _write_dependents(
    plans: list[_Plan],
    invoices: list[Invoice],
    paying: list[_Plan],
    context: _Context,
    now: dt.datetime,
) -> list[int]:
    """The invoices' lines and Renewal rows, and the paid services extended (with their
    unsuspend tasks); returns the services reactivated."""
    fastpath.insert(
        [
            InvoiceLine(
                invoice_id=invoice.pk,
                position=1,
                kind=LineKind.PERIOD,
                service_id=plan.service.pk,
                service_type_code=plan.service.service_type.code,
                tariff_code=plan.price.tariff.code,
                description_ru=context.text(
                    plan.price, plan.service.identifier, plan.start, plan.end, "ru"
                ),
                description_en=context.text(
                    plan.price, plan.service.identifier, plan.start, plan.end, "en"
                ),
                period_start=plan.start,
                period_end=plan.end,
                period_months=plan.price.period_months,
                amount=plan.amount.amount,
            )
            for plan, invoice in zip(plans, invoices, strict=True)
        ]
    )
    fastpath.insert(
        [
            Renewal(
                service_id=plan.service.pk,
                period_start=plan.renews_from,
                invoice_id=invoice.pk,
                created_at=now,
            )
            for plan, invoice in zip(plans, invoices, strict=True)
        ]
    )

    # The paid ones extend their services (services.actions.apply_paid_invoice's bulk twin).
    return apply_paid_renewals(
        [
            PaidRenewal(
                service_id=plan.service.pk,
                start=plan.start,
                end=plan.end,
                months=plan.price.period_months,
                tariff_code=plan.price.tariff.code,
                amount=plan.amount.amount,
                currency=plan.amount.currency,
                invoice_id=invoice.pk,
            )
            for plan, invoice in zip(plans, invoices, strict=True)
            if plan.pay
        ],
        insert=fastpath.insert,
    )
