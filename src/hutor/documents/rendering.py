"""What was rendered to a billing account in a month: one line per service, the parts of its
paid periods that fall in the month, each valued at what was paid for the period pro rata by
days (documents.calculations.month_share), never at a list price. Periods worth nothing (free
days given by staff) render nothing billable and are left out.

Then one line per **one-off charge** rendered in the month (invoices.queries.one_off_lines: a
setup fee, a domain's restore, a manual invoice's item), dated the day its invoice was paid and
valued at what was paid for it.

Each line names its **seller**: the company whose invoice paid for it (the id frozen in the
invoice's requisites), so a month closed again after the default company moved, or a tariff
changed company, keeps each line with the company that sold it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models.fields.json import KeyTextTransform
from django.utils import formats, timezone, translation

from hutor.catalog.models import Tariff
from hutor.core.money import Money
from hutor.documents.calculations import month_share, next_month, overlap
from hutor.invoices import queries as invoice_queries
from hutor.services.models import PaidPeriod

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount


# Tariff names by (service type, tariff code), looked up once per close of a month.
Tariffs = dict[tuple[int, str], Tariff | None]


@dataclass(frozen=True)
class Rendered:
    service_id: int | None
    description_ru: str
    description_en: str
    start: dt.date  # the first and last day (included) of the service in the month
    end: dt.date
    amount: Decimal  # rounded to kopecks
    # The tariff of the month's last part: its company (if any) issues the line's document.
    tariff: Tariff | None = None
    # A one-off charge's invoice line (None for a service's paid periods).
    invoice_line_id: int | None = None
    # The company whose invoice paid for the (last part of the) line; None when no invoice did
    # (the tariff's company, the kind's or the default then sells it: core.companies).
    seller_id: int | None = None

    @property
    def key(self) -> tuple[str, int | None]:
        """What a correction compares the line by: the service, or the one-off charge."""
        return closing_key(self.service_id, self.invoice_line_id)


def closing_key(service_id: int | None, invoice_line_id: int | None) -> tuple[str, int | None]:
    """A line's identity across a month's documents (Rendered.key, and an issued ClosingLine's
    service and invoice line): a one-off charge by its invoice line, else the service."""
    if invoice_line_id is not None:
        return ("once", invoice_line_id)
    return ("service", service_id)


def _describe(period: PaidPeriod, tariff: Tariff | None, first: dt.date, last: dt.date) -> dict:
    service = period.service
    texts = {}
    for language in ("ru", "en"):
        with translation.override(language):
            kind = getattr(service.service_type, f"name_{language}") or service.service_type.name_ru
            name = (getattr(tariff, f"name_{language}") or tariff.name_ru) if tariff else ""
            quoted = (f" «{name}»" if language == "ru" else f" “{name}”") if name else ""
            where = f", {service.identifier}" if service.identifier else ""
            dates = {
                "start": formats.date_format(first, "d.m.Y"),
                "end": formats.date_format(last, "d.m.Y"),
            }
            span = (
                "за период с %(start)s по %(end)s"
                if language == "ru"
                else "from %(start)s to %(end)s"
            ) % dates
            texts[language] = f"{kind}{quoted}{where}, {span}"
    return texts


def rendered(
    account: BillingAccount, month: dt.date, *, tariffs: Tariffs | None = None
) -> list[Rendered]:
    """The account's services rendered in `month`, in the order of the services."""
    periods = (
        PaidPeriod.objects.filter(
            service__billing_account=account,
            start__lt=next_month(month),
            end__gt=month,
            amount__gt=0,
        )
        .select_related("service__service_type")
        .annotate(seller=KeyTextTransform("id", "invoice__provider"))
        .order_by("service_id", "start", "id")
    )
    tariffs = {} if tariffs is None else tariffs
    by_service: dict[int, list[tuple[PaidPeriod, dt.date, dt.date, Money]]] = {}
    for period in periods:
        days = overlap(period.start, period.end, month)
        if days is None:
            continue
        share = month_share(Money(period.amount, period.currency), period.start, period.end, month)
        by_service.setdefault(period.service_id, []).append((period, days[0], days[1], share))
    # A service's parts sold by two companies in the month (its tariff moved to another
    # company, or the default moved) make a line in each company's document; a part that no
    # invoice paid goes with the service's other parts.
    by_seller: dict[tuple[int, int | None], list[tuple[PaidPeriod, dt.date, dt.date, Money]]] = {}
    for service_id, parts in by_service.items():
        known = [_company_id(part[0].seller) for part in parts]  # type: ignore[attr-defined]
        fallback = next((seller for seller in reversed(known) if seller is not None), None)
        for part, seller in zip(parts, known, strict=True):
            by_seller.setdefault((service_id, seller or fallback), []).append(part)
    lines = []
    for (service_id, seller_id), parts in by_seller.items():
        amount = sum((share.amount for *_, share in parts), Decimal(0))
        if amount <= 0:
            continue
        first = min(part[1] for part in parts)
        last = max(part[2] for part in parts)
        named = parts[-1][0]  # the tariff of the month's last part names the line
        key = (named.service.service_type_id, named.tariff_code)
        if key not in tariffs:
            tariffs[key] = Tariff.objects.filter(
                service_type_id=key[0], code=named.tariff_code
            ).first()
        texts = _describe(named, tariffs[key], first, last)
        lines.append(
            Rendered(
                service_id=service_id,
                description_ru=texts["ru"][:300],
                description_en=texts["en"][:300],
                start=first,
                end=last,
                amount=amount,
                tariff=tariffs[key],
                seller_id=seller_id,
            )
        )
    return lines + one_offs(account, month)


def one_offs(account: BillingAccount, month: dt.date) -> list[Rendered]:
    """The one-off charges rendered to the account in `month`: each paid line dated the day its
    invoice was paid (the provider's local day), at its amount."""
    lines = []
    for line in invoice_queries.one_off_lines(
        start=month, end=next_month(month), billing_account_id=account.pk
    ):
        assert line.invoice.paid_at is not None
        day = timezone.localdate(line.invoice.paid_at)
        texts = {}
        for language in ("ru", "en"):
            with translation.override(language):
                texts[language] = (
                    "%(what)s, %(date)s (счёт № %(invoice)s)"
                    if language == "ru"
                    else "%(what)s, %(date)s (invoice No. %(invoice)s)"
                ) % {
                    "what": getattr(line, f"description_{language}") or line.description_ru,
                    "date": formats.date_format(day, "d.m.Y"),
                    "invoice": line.invoice.number,
                }
        lines.append(
            Rendered(
                service_id=line.service_id,
                description_ru=texts["ru"][:300],
                description_en=texts["en"][:300],
                start=day,
                end=day,
                amount=line.amount,
                tariff=line.service.tariff if line.service is not None else None,
                invoice_line_id=line.pk,
                seller_id=_company_id(line.invoice.provider.get("id")),
            )
        )
    return lines


def _company_id(value: object) -> int | None:
    """The company id frozen in an invoice's requisites (text from a JSON key), or None."""
    return int(str(value)) if value not in (None, "") else None
