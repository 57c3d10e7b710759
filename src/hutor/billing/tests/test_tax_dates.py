"""A VAT rate change on 1 January (20 % until 31 December 2025, 22 % from 1 January 2026):
renewal invoices issued from that day carry the new rate with no staff action, a dry run on
either side of the date shows which rate each would-be invoice carries, and an invoice issued
in December keeps 20 % when it is paid in January. Dates are the provider's local dates."""

import datetime as dt
import io
import re
from decimal import Decimal

import pypdf
import pytest
import time_machine
from django.core.management import call_command

from hutor.billing.tests.helpers import snapshot
from hutor.core.models import Provider
from hutor.invoices import documents
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.services.actions import order_invoice, place_order
from hutor.taxes import actions as taxes
from hutor.taxes.models import SINCE_EVER, TaxRegime

pytestmark = pytest.mark.django_db

DEC_31 = dt.datetime(2025, 12, 31, 9, 0, tzinfo=dt.UTC)  # 12:00 in Moscow
JAN_1 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def rate_change(provider):
    for rate, since in ((20, SINCE_EVER), (22, dt.date(2026, 1, 1))):
        taxes.add_rule(
            provider=provider, regime=TaxRegime.GENERAL, rate=Decimal(rate), effective_from=since
        )


@pytest.fixture
def due_across(rate_change, catalog, account_factory, active_service):
    """Two monthly hostings (199.00) renewed 7 days ahead: one due on 31 December, one on
    1 January."""
    december, january = account_factory(), account_factory()
    active_service(december, paid_until=dt.date(2026, 1, 7), identifier="dec.ru")
    active_service(january, paid_until=dt.date(2026, 1, 8), identifier="jan.ru")
    return december, january


def _renewals_line(day: dt.datetime, date: str) -> str:
    out = io.StringIO()
    with time_machine.travel(day, tick=False):
        before = snapshot()
        call_command("billing", "run", "--dry-run", "--date", date, stdout=out)
        assert snapshot() == before  # a dry run keeps nothing
    [line] = [line for line in out.getvalue().splitlines() if "step=renewals due=" in line]
    return line


def test_a_dry_run_on_either_side_of_new_year_shows_the_rate_each_invoice_would_carry(
    due_across,
):
    assert _renewals_line(DEC_31, "2025-12-31") == (
        "billing step=renewals due=1 issued=1 vat_20=1 errors=0"
    )
    # On 1 January both are due (nothing was kept by the first dry run): both at 22 %.
    assert _renewals_line(JAN_1, "2026-01-01") == (
        "billing step=renewals due=2 issued=2 vat_22=2 errors=0"
    )


def _pdf_text(invoice: Invoice) -> str:
    reader = pypdf.PdfReader(io.BytesIO(documents.render_pdf(invoice)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_renewals_carry_the_rate_of_their_issue_date_and_keep_it_when_paid_later(
    due_across, top_up
):
    december, january = due_across
    with time_machine.travel(DEC_31, tick=False):
        call_command("billing", "run", stdout=io.StringIO())
    with time_machine.travel(JAN_1, tick=False):
        call_command("billing", "run", stdout=io.StringIO())
    old = Invoice.objects.get(billing_account=december, kind=InvoiceKind.RENEWAL)
    new = Invoice.objects.get(billing_account=january, kind=InvoiceKind.RENEWAL)
    assert (old.issue_date, old.tax_regime, old.vat_rate) == (
        dt.date(2025, 12, 31),
        "general",
        Decimal(20),
    )
    assert (new.issue_date, new.vat_rate) == (dt.date(2026, 1, 1), Decimal(22))
    # 199.00 x 20 / 120 = 33.1666... -> 33.17; 199.00 x 22 / 122 = 35.885... -> 35.89
    assert [line.vat_amount for line in old.lines.all()] == [Decimal("33.17")]
    assert (old.vat_amount, new.vat_amount) == (Decimal("33.17"), Decimal("35.89"))

    with time_machine.travel(JAN_1 + dt.timedelta(days=4), tick=False):
        top_up(december, "199.00")  # paid in January
    old.refresh_from_db()
    assert old.status == InvoiceStatus.PAID and old.vat_rate == 20
    text = _pdf_text(old)
    assert "В том числе НДС 20%: 33,17" in text
    assert "В т.ч. НДС 20%" in text  # the purpose of payment
    assert "В том числе НДС 22%: 35,89" in _pdf_text(new)


def test_the_issue_date_is_the_providers_local_date(rate_change, catalog, account_factory):
    """23:30 on 31 December in Moscow is still 2025; 00:30 on 1 January is 2026 (UTC 21:30)."""
    rates: list[tuple[dt.date, Decimal | None]] = []
    for moment in ("2025-12-31T20:30:00+00:00", "2025-12-31T21:30:00+00:00"):
        with time_machine.travel(dt.datetime.fromisoformat(moment), tick=False):
            service = place_order(
                billing_account=account_factory(),
                price=catalog.price(catalog.start, 1),
                identifier=f"o{len(rates)}.ru",
            )
            invoice = order_invoice(service)
            rates.append((invoice.issue_date, invoice.vat_rate))
    assert rates == [(dt.date(2025, 12, 31), Decimal(20)), (dt.date(2026, 1, 1), Decimal(22))]


def test_a_company_without_vat_prints_without_vat(catalog, account_factory):
    taxes.add_rule(
        provider=Provider.objects.get(),
        regime=TaxRegime.SIMPLIFIED,
        rate=None,
        effective_from=SINCE_EVER,
    )
    service = place_order(
        billing_account=account_factory(), price=catalog.price(catalog.start, 1), identifier="a.ru"
    )
    invoice = order_invoice(service)
    assert (invoice.tax_regime, invoice.vat_rate, invoice.vat_amount) == ("simplified", None, None)
    text = _pdf_text(invoice)
    assert re.search(r"НДС: Без НДС", text) and "Без НДС" in documents.purpose(invoice)
