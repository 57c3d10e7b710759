"""Reports for staff: each one a table (also exported as CSV) and a chart.

Money reports read the ledger, the one record of money: payments are the TOP_UP entries that
brought money from a payment method's clearing account or the bank to a balance (so bank
payments entered at the desk or imported from statements count too); revenue is what the
revenue accounts received from settled invoices, less tariff-change credits. Suspensions and
terminations are counted from the provisioning tasks that carried them out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.backoffice import support_reports
from hutor.backoffice.charts import Series, bar_chart
from hutor.backoffice.report_periods import Period, Report, as_date, bounds, period_from
from hutor.catalog.models import ServiceType
from hutor.core import clock
from hutor.core.money import MINOR_UNITS, Money
from hutor.core.templatetags.money import format_money
from hutor.invoices.manual import MANUAL_SERVICE_TYPE
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.ledger.models import EntryKind, LedgerAccountKind, Posting
from hutor.payments.models import PaymentMethod
from hutor.services.models import ProvisioningTask, Service, ServiceStatus

CENT = Decimal("0.01")


def _currency(params: Any) -> str:
    """?currency=RUB; a code Hutor does not know is the default currency, not an error page."""
    code = str(params.get("currency") or "").upper()
    return code if code in MINOR_UNITS else settings.DEFAULT_CURRENCY


def _trunc(period: Period, field_name: str) -> Any:
    return TruncMonth(field_name) if period.by == "month" else TruncDate(field_name)


def _money_text(currency: str) -> Callable[[Any], str]:
    return lambda value: format_money(Money(Decimal(value).quantize(CENT), currency))


# --- Payments by method ------------------------------------------------------------------------


def _method_names() -> dict[str, str]:
    return {f"clearing:{m.slug}": m.name for m in PaymentMethod.objects.all()}


def payments(params: Any) -> Report:
    period = period_from(params)
    currency = _currency(params)
    start, end = bounds(period)
    rows = (
        Posting.objects.filter(
            entry__kind=EntryKind.TOP_UP,
            account__kind__in=[LedgerAccountKind.CLEARING, LedgerAccountKind.BANK],
            currency=currency,
            entry__created_at__gte=start,
            entry__created_at__lt=end,
        )
        .annotate(bucket=_trunc(period, "entry__created_at"))
        .values("bucket", "account__code", "account__kind")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by("bucket", "account__code")
    )
    names = _method_names()
    bank = _("Bank transfers (statements and the desk)")
    table: list[dict[str, Any]] = []
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        day = as_date(row["bucket"])
        method = (
            bank
            if row["account__kind"] == LedgerAccountKind.BANK
            else names.get(row["account__code"], row["account__code"].removeprefix("clearing:"))
        )
        amount = (-Decimal(row["total"])).quantize(CENT)
        sums[method][period.key(day)] += amount
        table.append(
            {
                "period": period.key(day),
                "method": method,
                "count": row["count"],
                "amount": amount,
                "currency": currency,
            }
        )
    buckets = period.buckets()
    series = [
        Series(method, [by_key.get(period.key(day), Decimal(0)) for day in buckets])
        for method, by_key in sorted(sums.items())
    ]
    total = sum((r["amount"] for r in table), Decimal(0))
    text = _money_text(currency)
    return Report(
        slug="payments",
        title=_("Payments by method"),
        columns=[
            ("period", _("Period")),
            ("method", _("Payment method")),
            ("count", _("Payments")),
            ("amount", _("Amount")),
            ("currency", _("Currency")),
        ],
        rows=table,
        chart=bar_chart(
            [period.label(day) for day in buckets],
            series,
            title=_("Payments by method"),
            value_text=text,
        ),
        summary=[
            (_("Total"), text(total)),
            (_("Payments"), str(sum(r["count"] for r in table))),
        ],
        numeric=frozenset({"count", "amount"}),
        filters={"period": period, "currency": currency},
    )


# --- Revenue by service type ------------------------------------------------------------------


def revenue(params: Any) -> Report:
    period = period_from(params, default_by="month")
    currency = _currency(params)
    start, end = bounds(period)
    rows = (
        Posting.objects.filter(
            account__kind=LedgerAccountKind.REVENUE,
            currency=currency,
            entry__created_at__gte=start,
            entry__created_at__lt=end,
        )
        .annotate(bucket=_trunc(period, "entry__created_at"))
        .values("bucket", "account__code")
        .annotate(total=Sum("amount"))
        .order_by("bucket", "account__code")
    )
    names = {f"revenue:{t.code}": t.name for t in ServiceType.objects.all()}
    names.setdefault(f"revenue:{MANUAL_SERVICE_TYPE}", _("Manual invoices"))
    table: list[dict[str, Any]] = []
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        day = as_date(row["bucket"])
        name = names.get(row["account__code"], row["account__code"].removeprefix("revenue:"))
        amount = Decimal(row["total"]).quantize(CENT)
        sums[name][period.key(day)] += amount
        table.append(
            {
                "period": period.key(day),
                "service_type": name,
                "amount": amount,
                "currency": currency,
            }
        )
    buckets = period.buckets()
    series = [
        Series(name, [max(by_key.get(period.key(day), Decimal(0)), Decimal(0)) for day in buckets])
        for name, by_key in sorted(sums.items())
    ]
    text = _money_text(currency)
    per_type = sorted(
        ((name, sum(by_key.values(), Decimal(0))) for name, by_key in sums.items()),
        key=lambda item: -item[1],
    )
    return Report(
        slug="revenue",
        title=_("Revenue by service type"),
        columns=[
            ("period", _("Period")),
            ("service_type", _("Service type")),
            ("amount", _("Revenue")),
            ("currency", _("Currency")),
        ],
        rows=table,
        chart=bar_chart(
            [period.label(day) for day in buckets],
            series,
            title=_("Revenue by service type"),
            value_text=text,
        ),
        summary=[(name, text(amount)) for name, amount in per_type]
        + [(_("Total"), text(sum((a for _n, a in per_type), Decimal(0))))],
        numeric=frozenset({"amount"}),
        filters={"period": period, "currency": currency},
    )


# --- Outstanding invoices ---------------------------------------------------------------------

AGE_BUCKETS = (
    (None, 0, gettext_lazy("Not yet due")),
    (1, 30, gettext_lazy("1–30 days overdue")),
    (31, 60, gettext_lazy("31–60 days")),
    (61, 90, gettext_lazy("61–90 days")),
    (91, None, gettext_lazy("Over 90 days")),
)


def _age_bucket(days_overdue: int) -> int:
    for index, (low, high, _label) in enumerate(AGE_BUCKETS):
        if (low is None or days_overdue >= low) and (high is None or days_overdue <= high):
            return index
    return len(AGE_BUCKETS) - 1


def outstanding(params: Any) -> Report:
    today = clock.today()
    currency = _currency(params)
    invoices = (
        Invoice.objects.filter(status=InvoiceStatus.UNPAID, currency=currency)
        .select_related("billing_account")
        .order_by("due_date", "id")
    )
    buckets = [Decimal(0)] * len(AGE_BUCKETS)
    counts = [0] * len(AGE_BUCKETS)
    table = []
    for invoice in invoices:
        overdue = (today - invoice.due_date).days
        index = _age_bucket(overdue)
        buckets[index] += invoice.total
        counts[index] += 1
        table.append(
            {
                "number": invoice.number,
                "account": invoice.billing_account.number,
                "name": invoice.billing_account.name,
                "issued": invoice.issue_date.isoformat(),
                "due": invoice.due_date.isoformat(),
                "overdue_days": max(overdue, 0),
                "amount": invoice.total,
                "currency": invoice.currency,
            }
        )
    text = _money_text(currency)
    return Report(
        slug="outstanding",
        title=_("Outstanding invoices"),
        columns=[
            ("number", _("Invoice")),
            ("account", _("Billing account")),
            ("name", _("Customer")),
            ("issued", _("Issued")),
            ("due", _("Due")),
            ("overdue_days", _("Days overdue")),
            ("amount", _("Amount")),
            ("currency", _("Currency")),
        ],
        rows=table,
        chart=bar_chart(
            [str(label) for _low, _high, label in AGE_BUCKETS],
            [Series(_("Unpaid"), buckets)],
            title=_("Outstanding invoices by age"),
            value_text=text,
        ),
        summary=[
            (_("Unpaid invoices"), str(len(table))),
            (_("Total"), text(sum(buckets, Decimal(0)))),
        ]
        + [
            (str(label), f"{counts[i]} · {text(buckets[i])}")
            for i, (_low, _high, label) in enumerate(AGE_BUCKETS)
        ],
        numeric=frozenset({"overdue_days", "amount"}),
        filters={"currency": currency},
    )


# --- Services expiring soon -------------------------------------------------------------------


def expiring(params: Any) -> Report:
    try:
        days = min(max(int(params.get("days") or 30), 1), 366)
    except ValueError:
        days = 30
    today = clock.today()
    services = (
        Service.objects.filter(
            status=ServiceStatus.ACTIVE,
            paid_until__gte=today,
            paid_until__lte=today + dt.timedelta(days=days),
        )
        .select_related("billing_account", "tariff", "service_type")
        .order_by("paid_until", "id")
    )
    weeks = max(1, -(-days // 7))
    per_week = [0] * weeks
    table = []
    for service in services:
        assert service.paid_until is not None
        left = (service.paid_until - today).days
        per_week[min(left // 7, weeks - 1)] += 1
        table.append(
            {
                "paid_until": service.paid_until.isoformat(),
                "days_left": left,
                "account": service.billing_account.number,
                "service_type": service.service_type.name,
                "tariff": service.tariff.name,
                "identifier": service.identifier,
                "auto_renew": _("yes") if service.auto_renew else _("no"),
                "service_id": service.pk,
            }
        )
    labels = [formats.date_format(today + dt.timedelta(days=7 * w), "d.m") for w in range(weeks)]
    return Report(
        slug="expiring",
        title=_("Services expiring in the next %(days)d days") % {"days": days},
        columns=[
            ("paid_until", _("Paid until")),
            ("days_left", _("Days left")),
            ("account", _("Billing account")),
            ("service_type", _("Service type")),
            ("tariff", _("Tariff")),
            ("identifier", _("Domain or host")),
            ("auto_renew", _("Auto-renew")),
        ],
        rows=table,
        chart=bar_chart(
            labels,
            [Series(_("Services, by week"), per_week)],
            title=_("Services expiring, by week"),
            integer=True,
        ),
        summary=[(_("Services"), str(len(table)))],
        numeric=frozenset({"days_left"}),
        filters={"days": days},
    )


# --- Suspensions and terminations per month ---------------------------------------------------


def lapses(params: Any) -> Report:
    period = period_from(params, default_by="month")
    period = Period(period.start.replace(day=1), period.end, "month")
    start, end = bounds(period)
    rows = (
        ProvisioningTask.objects.filter(
            operation__in=["suspend", "terminate"], created_at__gte=start, created_at__lt=end
        )
        .annotate(bucket=TruncMonth("created_at"))
        .values("bucket", "operation")
        .annotate(services=Count("service", distinct=True))
        .order_by("bucket", "operation")
    )
    counts: dict[str, dict[str, int]] = {"suspend": {}, "terminate": {}}
    for row in rows:
        counts[row["operation"]][period.key(as_date(row["bucket"]))] = row["services"]
    buckets = period.buckets()
    table: list[dict[str, Any]] = [
        {
            "month": period.key(month),
            "suspended": counts["suspend"].get(period.key(month), 0),
            "terminated": counts["terminate"].get(period.key(month), 0),
        }
        for month in buckets
    ]
    return Report(
        slug="lapses",
        title=_("Suspended and terminated per month"),
        columns=[
            ("month", _("Month")),
            ("suspended", _("Suspended")),
            ("terminated", _("Terminated")),
        ],
        rows=table,
        chart=bar_chart(
            [period.label(month) for month in buckets],
            [
                Series(_("Suspended"), [r["suspended"] for r in table]),
                Series(_("Terminated"), [r["terminated"] for r in table]),
            ],
            stacked=False,
            integer=True,
            title=_("Suspended and terminated per month"),
        ),
        summary=[
            (_("Suspended"), str(sum(r["suspended"] for r in table))),
            (_("Terminated"), str(sum(r["terminated"] for r in table))),
        ],
        numeric=frozenset({"suspended", "terminated"}),
        filters={"period": period},
    )


# slug -> (builder, the PAGES code of roles.py that may see it)
REPORTS: dict[str, tuple[Callable[[Any], Report], str]] = {
    "payments": (payments, "reports.finance"),
    "revenue": (revenue, "reports.finance"),
    "outstanding": (outstanding, "reports.sales"),
    "expiring": (expiring, "reports.sales"),
    "lapses": (lapses, "reports.finance"),
    "tickets": (support_reports.tickets, "reports.support"),
    "sla": (support_reports.sla, "reports.support"),
}
