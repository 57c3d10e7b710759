"""The worked examples of docs/documents-and-taxes.md («Closing documents»), figure for figure:
one month of a company customer's services under each regime (the act's lines and VAT, the
invoice-factura's figures read back from its PDF), and the same services across 1 January
2026, when the general rate goes from 20 % to 22 %."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hutor.documents import closing_pdf
from hutor.documents.models import ClosingDocument
from hutor.documents.tests.test_closing import COMPANY, _text, at, close
from hutor.services.actions import place_order
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db

# March 2026: hosting «Профи», VPS-1 and administration «Базовое» each paid for 01.03–01.04
# (a month), and the domain romashka.ru paid 199.00 for 15.01.2026–15.01.2027 (365 days), of
# which March holds 31: 199 × 76/365 − 199 × 45/365 = 41.44 − 24.53 = 16.91.
# The VPS-1's setup fee, 500.00, paid with its order on 01.03, is a one-off charge rendered
# that day. The lines come in the order the services were ordered (the domain first), then
# the one-off charges.
AMOUNTS = [
    Decimal("16.91"),
    Decimal("499.00"),
    Decimal("990.00"),
    Decimal("3000.00"),
    Decimal("500.00"),
]
TOTAL = "5005.91"
EXAMPLES = {
    # regime, rate: the lines' VAT, the act's VAT
    ("general", Decimal(22)): (["3.05", "89.98", "178.52", "540.98", "90.16"], "902.69"),
    ("general", Decimal(20)): (["2.82", "83.17", "165.00", "500.00", "83.33"], "834.32"),
    ("simplified_vat5", Decimal(5)): (["0.81", "23.76", "47.14", "142.86", "23.81"], "238.38"),
    ("simplified_vat7", Decimal(7)): (["1.11", "32.64", "64.77", "196.26", "32.71"], "327.49"),
    ("simplified", None): (None, None),
}


@pytest.fixture
def march(account_factory, catalog, top_up, provider):
    with time_machine.travel(at("2026-01-15"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "10000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.ru, 12), identifier="romashka.ru"
        )
    with time_machine.travel(at("2026-03-01"), tick=False):
        for tariff, identifier in (
            (catalog.pro, "romashka.ru"),
            (catalog.vps1, "vps.romashka.ru"),
            (catalog.support, ""),
        ):
            place_order(
                billing_account=account, price=catalog.price(tariff, 1), identifier=identifier
            )
    return account


@pytest.mark.parametrize(("regime", "rate"), list(EXAMPLES))
def test_a_month_of_services_under_each_regime(march, provider, regime, rate):
    add_rule(provider=provider, regime=regime, rate=rate, effective_from=dt.date(2026, 1, 1))
    close("2026-03", "2026-04-01")
    act = ClosingDocument.objects.get(month="2026-03-01")
    lines = list(act.lines.all())
    assert [line.amount for line in lines] == AMOUNTS
    assert act.total == Decimal(TOTAL) and act.issued_on == dt.date(2026, 3, 31)
    assert lines[-1].description_ru == (
        f"Подключение: VPS-1, 01.03.2026 (счёт № {lines[-1].invoice_line.invoice.number})"
    )
    assert (lines[-1].start, lines[-1].end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    vats, vat = EXAMPLES[(regime, rate)]
    if vats is None:
        assert act.vat_amount is None and not closing_pdf.has_invoice_factura(act)
        text = " ".join(_text(closing_pdf.render_pdf(act, "ru")).split())
        assert "Без НДС" in text and "Итого: 5 005,91" in text
        return
    assert [str(line.vat_amount) for line in lines] == vats
    assert act.vat_amount == Decimal(vat) and act.vat_rate == rate
    text = " ".join(_text(closing_pdf.render_pdf(act, "ru")).split())
    assert f"В том числе НДС {rate}%: {vat.replace('.', ',')}" in text
    factura = " ".join(_text(closing_pdf.render_invoice_factura_pdf(act, "ru")).split())
    without = f"{Decimal(TOTAL) - Decimal(vat):,.2f}".replace(",", " ").replace(".", ",")
    assert f"Всего к оплате {without} X {vat.replace('.', ',')} 5 005,91" in factura


def test_the_same_services_across_the_new_year(account_factory, catalog, top_up, provider):
    add_rule(
        provider=provider, regime="general", rate=Decimal(20), effective_from=dt.date(2000, 1, 1)
    )
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    with time_machine.travel(at("2025-12-01"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.start, 3), identifier="shop.ru"
        )
    with time_machine.travel(at("2025-12-15"), tick=False):
        place_order(
            billing_account=account, price=catalog.price(catalog.ru, 12), identifier="shop.ru"
        )
    close("2025-12", "2026-01-01")
    close("2026-01", "2026-02-01")
    december, january = ClosingDocument.objects.order_by("month")
    # Hosting 549.00 for 01.12.2025–01.03.2026 (90 days): December 31 of them, 189.10; January
    # 549 × 62/90 − 189.10 = 189.10. The domain 199.00 for 15.12.2025–15.12.2026 (365 days):
    # December 17 days, 9.27; January 26.17 − 9.27 = 16.90.
    assert [line.amount for line in december.lines.all()] == [Decimal("189.10"), Decimal("9.27")]
    assert [line.amount for line in january.lines.all()] == [Decimal("189.10"), Decimal("16.90")]
    # December's act: 20 % (31.52 + 1.55); January's: 22 % (34.10 + 3.05).
    assert (december.vat_rate, december.vat_amount) == (Decimal(20), Decimal("33.07"))
    assert (january.vat_rate, january.vat_amount) == (Decimal(22), Decimal("37.15"))
    assert (december.year, december.number, january.year, january.number) == (2025, 1, 2026, 1)
