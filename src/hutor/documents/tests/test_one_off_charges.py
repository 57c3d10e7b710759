"""One-off charges in the monthly acts: a setup fee, a domain's restore or a manual invoice's
item is rendered once, on the day its invoice is paid, and enters the act of that month at what
was paid for it; an unpaid one enters nothing until it is paid. A later correction of the month
keeps it apart from its service's paid periods (the lines are keyed by the invoice line)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hutor.core.money import Money
from hutor.documents.advances import rendered_before
from hutor.documents.models import ClosingDocument
from hutor.documents.tests.test_closing import COMPANY, at, close
from hutor.invoices.calculations import ManualLine
from hutor.invoices.manual import issue_manual_invoice
from hutor.invoices.models import InvoiceStatus
from hutor.services import cancellations
from hutor.services.actions import place_order
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db


def lines(month: str, correction: int = 0) -> list[tuple[str, Decimal]]:
    document = ClosingDocument.objects.get(month=month, correction=correction)
    return [(line.description_ru, line.amount) for line in document.lines.all()]


def test_a_setup_fee_and_a_manual_item_in_the_month_they_are_paid(
    account_factory, catalog, top_up, provider
):
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "1490.00")
        vps = place_order(
            billing_account=account, price=catalog.price(catalog.vps1, 1), identifier="vps.ru"
        )
    # A manual invoice issued in February but paid only in March: March's.
    with time_machine.travel(at("2026-02-25"), tick=False):
        item, _ = issue_manual_invoice(
            billing_account=account,
            lines=[ManualLine("Перенос сайта", Decimal(2), Decimal("750.00"))],
        )
    assert item.status == InvoiceStatus.UNPAID
    with time_machine.travel(at("2026-03-03"), tick=False):
        top_up(account, "1500.00")
    item.refresh_from_db()
    assert item.status == InvoiceStatus.PAID

    assert "issued=1" in close("2026-02", "2026-03-01")
    setup = vps.invoice_lines.get(kind="setup").invoice.number
    # VPS-1 990.00 for 10.02–10.03 (28 days): February 990 × 19/28 = 671.79; the setup fee
    # 500.00 rendered on 10.02, when its invoice was paid.
    assert lines("2026-02-01") == [
        ("VPS «VPS-1», vps.ru, за период с 10.02.2026 по 28.02.2026", Decimal("671.79")),
        (f"Подключение: VPS-1, 10.02.2026 (счёт № {setup})", Decimal("500.00")),
    ]
    february = ClosingDocument.objects.get(month="2026-02-01")
    one_off = february.lines.get(invoice_line__isnull=False)
    assert (one_off.start, one_off.end, one_off.vat_amount) == (
        dt.date(2026, 2, 10),
        dt.date(2026, 2, 10),
        Decimal("90.16"),  # 500 × 22/122
    )
    assert february.total == Decimal("1171.79")

    assert "issued=1" in close("2026-03", "2026-04-01")
    # March: the VPS's last 9 days (990 − 671.79 = 318.21) and the item, 2 × 750.00, paid 03.03.
    assert lines("2026-03-01") == [
        ("VPS «VPS-1», vps.ru, за период с 01.03.2026 по 09.03.2026", Decimal("318.21")),
        (f"Перенос сайта, 03.03.2026 (счёт № {item.number})", Decimal("1500.00")),
    ]
    # The advances' rule agrees: the setup fee counts as rendered from the day after it was paid.
    assert rendered_before(account.pk, dt.date(2026, 2, 11), "RUB").amount == Decimal("535.36")

    # Closing again adds nothing: one-off lines are the same on every run.
    assert "corrections=0 unchanged=1" in close("2026-02", "2026-04-02")


def test_a_correction_keeps_the_one_off_line_apart(account_factory, catalog, top_up, provider):
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "1490.00")
        vps = place_order(
            billing_account=account, price=catalog.price(catalog.vps1, 1), identifier="vps.ru"
        )
    close("2026-02", "2026-03-01")
    # Cancelled with its unused days given back, recorded late (dated 20.02): 18 of 28 days,
    # 990 × 18/28 = 636.43; the setup fee is not given back (it was rendered).
    with time_machine.travel(at("2026-02-20"), tick=False):
        quote = cancellations.quote(vps)
        assert quote.amount == Money("636.43")
        cancellations.cancel(service=vps, by="customer", expected_amount=quote.amount)
    assert "corrections=1" in close("2026-02", "2026-03-05")
    correction = ClosingDocument.objects.get(month="2026-02-01", correction=1)
    changed = [
        (line.invoice_line_id is not None, line.amount_before, line.amount)
        for line in correction.lines.all()
    ]
    assert changed == [
        (False, Decimal("671.79"), Decimal("353.57")),  # the VPS: 990 − 636.43
        (True, Decimal("500.00"), Decimal("500.00")),  # the setup fee, unchanged
    ]
    assert (correction.total_before, correction.total) == (Decimal("1171.79"), Decimal("853.57"))
    assert "corrections=0 unchanged=1" in close("2026-02", "2026-03-06")
