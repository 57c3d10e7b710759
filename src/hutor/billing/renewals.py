"""The renewal step of the billing run: renewal invoices for auto-renewing services, paid at
once from the balance where it covers them, in batches.

The rules are the single renewal's (services.actions.renew + settle_open_invoices), taken from
the same places, for hundreds of services per transaction:

- which services: auto-renewing, active/suspended/expired, whose paid-until falls within the
  service type's HUTOR_BILLING_RENEW_DAYS_BEFORE days, with no open renewal invoice (e.g. one
  the customer made in the panel) and no renewal of this period yet;
- the period, its price and the due date: services.calculations.renewal_plan, the one renewal
  rule (one more period of the service's tariff at its current price, from paid-until, or
  from today for a lapsed service; due the day the paid period ends);
- the invoices, their numbers, emails and settlement: invoices.actions.issue_invoices, the one
  writer of invoices (settle=True: paid at once from the balance, by one journal entry keyed
  `invoice:<number>:settlement`, when the account has no older unpaid invoice and its balance
  covers it); the paid ones are announced with the `invoices_paid` signal, on which
  services.actions.apply_paid_renewals extends the services (unsuspending a lapsed one). An
  invoice left unpaid is settled by the settlement step, or when money arrives;
- a `Renewal` row per invoice under a unique (service, period_start) constraint: the database,
  not a check, keeps a rerun after a crash from issuing a second one.

Per batch, in one transaction: the billing accounts are locked in primary-key order (every
writer of a service takes its account's lock first) and read as records
(accounts.actions.lock_many), then (ledger.post_rows) the ledger accounts. Every row is
written by billing/fastpath.py's writer (COPY on PostgreSQL, where the batch also commits
without waiting for the disk; executemany on SQLite) as a plain tuple, through the apps that
own the tables; the services, accounts and balances are read as tuples: no model instance is
built for a renewal, and the cyclic garbage collector stays out of a batch's way
(_out_of_the_collectors_way, _no_collection; docs/performance.md). The rows that
need no invoice number (lines, renewals) are written before the batch takes the shared locks
(the invoice sequence, the revenue accounts). A batch that fails is retried service by
service, so one bad service costs only itself. `shard=(k, n)` renews only the services of
billing accounts with id % n == k: the run's parallel renewal starts one process per shard
(billing/shards.py).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q

from hutor.accounts.actions import lock_many
from hutor.billing import fastpath
from hutor.billing.calculations import per_type, renewal_due
from hutor.billing.models import Renewal
from hutor.billing.report import StepReport
from hutor.catalog.models import ServiceType, Tariff, TariffPrice
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.issuing import InvoiceDraft, IssuedInvoice, LineDraft, issue_invoice_rows
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from hutor.ledger import actions as ledger
from hutor.services.actions import RENEWABLE, line_dates, line_prefix, line_text, renew
from hutor.services.calculations import RenewalPlan, is_continuous, renewal_plan
from hutor.services.models import Service, ServiceStatus, TariffChange, TariffChangeStatus

Shard = tuple[int, int]  # (k, n): the billing accounts whose id % n == k


class RenewalSkipped(Exception):
    """A due service the step cannot renew (no price for its period, another currency)."""


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def tariff_days() -> dict[int, int]:
    """{tariff id: its own days before paid-until} for the tariffs (zones) that set them."""
    rows = Tariff.objects.filter(renew_days_before__isnull=False).values_list(
        "pk", "renew_days_before"
    )
    return {pk: int(days or 0) for pk, days in rows}


def due_services(today: dt.date) -> Any:
    """Services whose renewal invoice is due today and not issued yet (a queryset)."""
    table = settings.HUTOR_BILLING_RENEW_DAYS_BEFORE
    codes = dict(ServiceType.objects.values_list("code", "pk"))
    own = {code: days for code, days in table.items() if code in codes}
    # Tariffs (zones) with days of their own, grouped by those days.
    by_tariff: dict[int, list[int]] = {}
    for tariff_id, days in tariff_days().items():
        by_tariff.setdefault(days, []).append(tariff_id)
    tariff_ids = [pk for ids in by_tariff.values() for pk in ids]
    due = Q(
        ~Q(service_type_id__in=[codes[c] for c in own]),
        paid_until__lte=today + dt.timedelta(days=per_type(table, "")),
    )
    for code, days in own.items():
        due |= Q(service_type_id=codes[code], paid_until__lte=today + dt.timedelta(days=days))
    if tariff_ids:
        due = Q(due, ~Q(tariff_id__in=tariff_ids))
        for days, ids in by_tariff.items():
            due |= Q(tariff_id__in=ids, paid_until__lte=today + dt.timedelta(days=days))
    return (
        Service.objects.filter(due, auto_renew=True, status__in=RENEWABLE, paid_until__isnull=False)
        .exclude(
            Exists(
                Renewal.objects.filter(service=OuterRef("pk"), period_start=OuterRef("paid_until"))
            )
        )
        .exclude(
            # Any unpaid invoice that would extend it: a renewal, or an upgrade re-billing one.
            Exists(
                InvoiceLine.objects.filter(
                    service=OuterRef("pk"),
                    kind=LineKind.PERIOD,
                    invoice__status=InvoiceStatus.UNPAID,
                )
            )
        )
    )


class _Due(NamedTuple):
    """What a batch reads of a due service (a tuple: no model instance per service)."""

    pk: int
    billing_account_id: int
    paid_until: dt.date | None
    auto_renew: bool
    status: str
    tariff_id: int
    period_months: int
    service_type_id: int
    identifier: str


class _Context:
    """What every batch of one step shares: the day, prices and line texts. The revenue
    accounts are created before any batch (and before any shard process starts), so batches
    side by side never race to create one."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.prices: dict[tuple[int, int, str], TariffPrice] = {}
        revenue: set[tuple[str, str]] = set()
        for price in TariffPrice.objects.filter(is_active=True).select_related(
            "tariff__service_type"
        ):
            self.prices[(price.tariff_id, price.period_months, price.currency)] = price
            code = price.tariff.service_type.code
            if (code, price.currency) not in revenue:
                revenue.add((code, price.currency))
                ledger.revenue_account(code, price.currency)
        # Service types by id: a batch's services read without them (one per service type,
        # not a model instance per service).
        self.type_codes = dict(ServiceType.objects.values_list("pk", "code"))
        self._prefixes: dict[tuple[int, str], str] = {}
        self._dates: dict[tuple[dt.date, dt.date, str], str] = {}

    def type_code(self, service_type_id: int) -> str:
        code = self.type_codes.get(service_type_id)
        if code is None:  # a service type created since the run began
            code = self.type_codes[service_type_id] = ServiceType.objects.get(
                pk=service_type_id
            ).code
        return code

    @cached_property
    def days_before(self) -> dict[str, int]:
        return dict(settings.HUTOR_BILLING_RENEW_DAYS_BEFORE)

    @cached_property
    def tariff_days(self) -> dict[int, int]:
        return tariff_days()

    def days_for(self, service: _Due) -> int:
        """Days before paid-until the service's renewal is due: its tariff's, else its type's."""
        own = self.tariff_days.get(service.tariff_id)
        return (
            own
            if own is not None
            else per_type(self.days_before, self.type_code(service.service_type_id))
        )

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


def prepare(today: dt.date) -> None:
    """What must exist before renewal processes start side by side (the revenue accounts)."""
    _Context(today)


def renew_due(
    *, today: dt.date, report: StepReport, batch_size: int, shard: Shard | None = None
) -> None:
    """Issue (and where the balance covers them, settle) today's renewal invoices, in this
    process; with `shard` (k, n) only those of billing accounts whose id % n == k."""
    due = due_services(today)
    # A service whose upgrade still waits for payment renews through services.actions.renew,
    # which withdraws the upgrade first (its quote no longer holds once the paid time grows).
    upgrading = Exists(
        TariffChange.objects.filter(service=OuterRef("pk"), status=TariffChangeStatus.PENDING)
    )
    # One pass over the due services (each shard makes its own, beside the others).
    if shard is not None:
        k, n = shard
        due = due.alias(shard=F("billing_account_id") % n).filter(shard=k)
    rows = list(
        due.annotate(upgrading=upgrading)
        .order_by("billing_account_id", "pk")
        .values_list("pk", "upgrading")
    )
    ids = [pk for pk, upgrading in rows if not upgrading]
    single_ids = [pk for pk, upgrading in rows if upgrading]
    singles = (
        list(
            Service.objects.filter(pk__among=single_ids)
            .order_by("pk")
            .select_related("billing_account")
        )
        if single_ids
        else []
    )
    report.add("due", len(ids) + len(singles))
    if not ids and not singles:
        return
    context = _Context(today)
    for service in singles:
        _renew_single(service, context, report)
    if ids:
        with _out_of_the_collectors_way():
            _renew_ids(ids, context, report, batch_size)


@contextmanager
def _out_of_the_collectors_way() -> Iterator[None]:
    """The batches run with the objects alive before them (Django, the modules, the step's
    context and whatever the process holds) frozen out of the cyclic garbage collector
    (gc.freeze), unfrozen after. A batch allocates hundreds of thousands of short-lived
    objects (freed by their reference counts, not by the collector), which trigger its
    collections, and each full one walked every object of the process: in a 20,000 run on
    SQLite 3.5 s of the run's 8.3 s of CPU, 0.8 s frozen (docs/performance.md).

    No collection before the freeze: it walked every object of the process once more (0.3 s
    of a run's CPU, whatever its size), to spare the frozen generation what few cycles of
    garbage the process held then; those wait for gc.unfreeze() (their memory, not a leak)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _no_collection() -> Iterator[None]:
    """One batch with the cyclic collector off, on again after it. What a batch allocates
    dies by its reference counts when the batch ends, but while it runs the collector still
    scanned it a thousand times and more (gen0 collections, each of the young objects then
    alive): 0.25 s of 4.1 s of CPU in a 20,000 run on SQLite. Between batches the collector
    runs as usual, so a cycle a batch leaves behind is collected and memory stays bounded
    however long the run (docs/performance.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    report.add(vat_key(invoice))
    report.example(
        f"service {service.pk} {service.identifier}: renewal invoice {invoice.number} "
        f"{invoice.total_money} {vat_text(invoice)}, the unpaid upgrade withdrawn"
    )


def vat_key(invoice: Invoice | IssuedInvoice) -> str:
    """The count a renewal invoice adds to by its frozen VAT rate (`vat_22`, `no_vat`): what a
    dry run across a change of rate shows."""
    if invoice.vat_rate is None:
        return "no_vat"
    return f"vat_{invoice.vat_rate.normalize():f}"


def vat_text(invoice: Invoice | IssuedInvoice) -> str:
    return "no VAT" if invoice.vat_rate is None else f"VAT {invoice.vat_rate.normalize():f}%"


# PostgreSQL plans each batch's reads by its statistics of the tables the run itself fills, and
# autovacuum refreshes them only once it gets round to it: meanwhile "the lines of these services"
# grows into a sequential scan of every line (729 ms a batch at 120k lines, 10.6 ms once analysed;
# docs/performance.md). So the run analyses them itself, before its first batch and every few.
GROWING = (Invoice, InvoiceLine, Renewal)
ANALYZE_EVERY = 20  # batches


def _analyze_growing_tables() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in GROWING:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def _renew_ids(ids: Sequence[int], context: _Context, report: StepReport, batch_size: int) -> None:
    done = 0
    for number, chunk in enumerate(_chunks(ids, max(batch_size, 1))):
        if number % ANALYZE_EVERY == 0:
            _analyze_growing_tables()
        try:
            with _no_collection(), transaction.atomic():
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


def _open_renewals(service_ids: Sequence[int]) -> set[int]:
    """Those of `service_ids` with an unpaid invoice that would extend them (a period line).

    Two queries meant to be bounded by the batch: the services' period lines (by service),
    then their invoices' statuses (by primary key). As one join the planner drove it from
    the invoices (the unpaid ones, by scanning the whole (billing account, status, issued)
    index for its second column), once per batch. Either way the planner needs the lines'
    statistics: on tables the run itself filled and nobody has analysed yet it reads the
    lines with a sequential scan, a cost that grows with the run (docs/performance.md)."""
    lines = list(
        InvoiceLine.objects.filter(service_id__among=set(service_ids), kind=LineKind.PERIOD)
        .order_by()
        .values_list("service_id", "invoice_id")
    )
    if not lines:
        return set()
    # The status is compared here, not in SQL: with it in the WHERE clause the planners
    # again preferred the status scan (few invoices are unpaid) to the primary keys.
    unpaid = {
        pk
        for pk, status in Invoice.objects.filter(
            pk__among={invoice_id for _service_id, invoice_id in lines}
        )
        .order_by()
        .values_list("pk", "status")
        if status == InvoiceStatus.UNPAID
    }
    return {service_id for service_id, invoice_id in lines if invoice_id in unpaid}


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
    # The ids as a set: Django walks a list value by value looking for expressions (see
    # core.lookups), a set it passes on as it is.
    batch = set(service_ids)
    # Lock order: billing accounts (primary-key order), then ledger accounts (post_rows).
    account_ids = set(
        Service.objects.filter(pk__among=batch).values_list("billing_account_id", flat=True)
    )
    # Locked and read in one statement, as records (the invoices' payer, currency, language).
    accounts = lock_many(account_ids)
    # Every writer of a service takes its billing account's lock first (services.actions,
    # billing.actions), so the services need no row locks of their own here.
    services = [
        _Due(*row)
        for row in Service.objects.filter(pk__among=batch)
        .order_by("billing_account_id", "pk")
        .values_list(*_Due._fields)
    ]
    # Read again under the locks: a run beside this one, or the customer, may have renewed.
    claimed = set(
        Renewal.objects.filter(service_id__among=batch).values_list("service_id", "period_start")
    )
    open_renewals = _open_renewals(service_ids)
    plans: list[tuple[_Due, TariffPrice, RenewalPlan]] = []
    renews_from: dict[int, dt.date] = {}
    for service in services:
        account = accounts[service.billing_account_id]
        paid_until = service.paid_until
        if (
            paid_until is None
            or not service.auto_renew
            or service.status not in RENEWABLE
            or not renewal_due(
                today=today,
                paid_until=paid_until,
                days_before=context.days_for(service),
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
        plan = renewal_plan(
            today=today,
            paid_until=paid_until,
            period_months=price.period_months,
            price=Money(price.price, price.currency),
            continuous=is_continuous(context.type_code(service.service_type_id)),
        )
        plans.append((service, price, plan))
        renews_from[service.pk] = paid_until  # the claim: Renewal.period_start
    if not plans:
        return outcome

    drafts = [
        InvoiceDraft(
            billing_account=accounts[service.billing_account_id],
            kind=InvoiceKind.RENEWAL,
            lines=[
                LineDraft(
                    kind=LineKind.PERIOD,
                    service_id=service.pk,
                    service_type_code=context.type_code(service.service_type_id),
                    tariff_code=price.tariff.code,
                    description_ru=context.text(
                        price, service.identifier, plan.start, plan.end, "ru"
                    ),
                    description_en=context.text(
                        price, service.identifier, plan.start, plan.end, "en"
                    ),
                    period_start=plan.start,
                    period_end=plan.end,
                    period_months=plan.months,
                    amount=plan.amount,
                )
            ],
            due_date=plan.due_date,
        )
        for service, price, plan in plans
    ]

    def write_renewals(invoices: list[IssuedInvoice]) -> None:
        fastpath.bulk_insert.rows(
            Renewal,
            ("service_id", "period_start", "invoice_id", "created_at"),
            [
                (service.pk, renews_from[service.pk], invoice.pk, now)
                for (service, _price, _plan), invoice in zip(plans, invoices, strict=True)
            ],
        )

    invoices = issue_invoice_rows(
        drafts=drafts, insert=fastpath.bulk_insert, written=write_renewals
    )
    paid = [
        service
        for (service, _price, _plan), invoice in zip(plans, invoices, strict=True)
        if invoice.status == InvoiceStatus.PAID
    ]
    counts["issued"] += len(plans)
    counts["paid"] += len(paid)
    # The services in memory are as read before the batch (apply_paid_renewals updated rows).
    counts["reactivated"] += sum(1 for service in paid if service.status != ServiceStatus.ACTIVE)
    counts.update(vat_key(invoice) for invoice in invoices)  # by frozen rate: no_vat, vat_22
    outcome.examples = [
        f"service {service.pk} {service.identifier}: renewal invoice {invoice.number} "
        f"{plan.amount} {vat_text(invoice)}, "
        + ("paid from the balance" if invoice.status == InvoiceStatus.PAID else "unpaid")
        for (service, _price, plan), invoice in list(zip(plans, invoices, strict=True))[:5]
    ]
    return outcome
