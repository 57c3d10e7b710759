"""The worked examples of docs/documents-and-taxes.md, reproduced: a month of a company
customer's services (hosting «Профи» 499.00, VPS-1 990.00, administration 3,000.00, domain .ru
199.00; 4,688.00 in all) invoiced under each regime, with the VAT of every line and of the
invoice as issue_invoice() freezes them and the PDF prints them."""

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
import time_machine

from hutor.accounts.models import AccountKind
from hutor.core.money import Money
from hutor.invoices import documents
from hutor.invoices.actions import LineDraft, issue_invoice
from hutor.invoices.models import InvoiceKind, LineKind
from hutor.taxes import actions as taxes
from hutor.taxes.models import SINCE_EVER, TaxRegime

pytestmark = pytest.mark.django_db

MONTH = [
    ("hosting", "Хостинг «Профи», март 2026", "499.00"),
    ("vps", "VPS-1, март 2026", "990.00"),
    ("admin", "Администрирование «Базовое», март 2026", "3000.00"),
    ("domain", "Продление домена romashka.ru", "199.00"),
]

# regime, rate: the VAT of each line, the invoice's VAT (their sum), and the VAT of the total
# computed in one go (shown in the docs to explain the rounding rule; not what is printed).
EXAMPLES = [
    (TaxRegime.SIMPLIFIED, None, None, None, None),
    (TaxRegime.GENERAL, 22, ["89.98", "178.52", "540.98", "35.89"], "845.37", "845.38"),
    (TaxRegime.GENERAL, 20, ["83.17", "165.00", "500.00", "33.17"], "781.34", "781.33"),
    (TaxRegime.SIMPLIFIED_VAT5, 5, ["23.76", "47.14", "142.86", "9.48"], "223.24", "223.24"),
    (TaxRegime.SIMPLIFIED_VAT7, 7, ["32.64", "64.77", "196.26", "13.02"], "306.69", "306.69"),
]


@pytest.mark.parametrize(("regime", "rate", "lines", "vat", "vat_of_total"), EXAMPLES)
def test_a_month_of_a_company_customers_services(
    provider, account_factory, regime, rate, lines, vat, vat_of_total
):
    taxes.add_rule(
        provider=provider,
        regime=regime,
        rate=None if rate is None else Decimal(rate),
        effective_from=SINCE_EVER,
    )
    company = account_factory(
        name="ООО «Ромашка»",
        kind=AccountKind.COMPANY,
        inn="7707329152",
        kpp="770701001",
        address="Москва, ул. Лесная, 1",
    )
    with time_machine.travel(dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC), tick=False):
        invoice = issue_invoice(
            billing_account=company,
            kind=InvoiceKind.ORDER,
            lines=[
                LineDraft(LineKind.SETUP, code, text, text, Money(amount))
                for code, text, amount in MONTH
            ],
        )
    assert invoice.total == Decimal("4688.00")
    assert invoice.tax_regime == regime
    frozen = [line.vat_amount for line in invoice.lines.order_by("position")]
    if rate is None:
        assert frozen == [None] * 4 and invoice.vat_amount is None
        expected = "НДС: Без НДС"
    else:
        assert frozen == [Decimal(v) for v in lines]
        assert invoice.vat_amount == Decimal(vat)
        assert documents.context(invoice)["vat"] == Money(vat)
        expected = f"В том числе НДС {rate}%: {vat.replace('.', ',')}"
        # Computed on the total in one go it would be this (a kopeck apart at 22 % and 20 %).
        total_vat = Decimal(4688) * rate / (100 + rate)
        assert abs(total_vat - Decimal(vat_of_total)) < Decimal("0.005")
    reader = pypdf.PdfReader(io.BytesIO(documents.render_pdf(invoice)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert expected in text
    assert "4 688,00" in text
