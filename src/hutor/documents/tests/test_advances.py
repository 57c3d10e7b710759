"""Advance invoices-factura (счета-фактуры на аванс): issued by `hutor documents
advance-invoices` and by the daily billing run for the prepayment part of a company's or sole
proprietor's payment when the provider pays VAT, at the calculated rate of the payment's day,
numbered gaplessly per year, once per payment. The worked example of
docs/documents-and-taxes.md («Advance invoices-factura»), figure for figure."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from hutor.core.money import Money
from hutor.documents.advances import received, rendered_before
from hutor.documents.calculations import advance_part, rate_fraction, rendered_by
from hutor.documents.models import AdvanceInvoice
from hutor.documents.tests.test_closing import COMPANY, at
from hutor.payments.actions import credit_payment, start_top_up
from hutor.services.actions import place_order
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db


def pay(account, method, amount: str, day: str, hour: int = 12):
    """A top-up through the demo payment service, credited on `day` (Moscow time)."""
    with time_machine.travel(at(day, hour), tick=False):
        payment = start_top_up(
            billing_account=account, method=method, amount=Money(amount, account.currency)
        )
        payment, _ = credit_payment(
            payment=payment, transaction_id=f"tx-{payment.number}", amount=payment.money
        )
    return payment


def advances(day: str, *args: str) -> str:
    out = io.StringIO()
    with time_machine.travel(at(day), tick=False):
        call_command("documents", "advance-invoices", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def general(provider):
    add_rule(
        provider=provider, regime="general", rate=Decimal(20), effective_from=dt.date(2000, 1, 1)
    )
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    return provider


@pytest.fixture
def company(account_factory, general):
    with time_machine.travel(at("2025-12-01"), tick=False):
        return account_factory(**COMPANY)


def test_the_worked_example(company, catalog, payment_methods):
    # 31.12.2025: 1,200.00 paid, nothing rendered yet: all of it in advance, at 20/120.
    december = pay(company, payment_methods.demo, "1200.00", "2025-12-31")
    # 02.03.2026: 12,000.00 paid, then hosting «Профи» ordered for a month (499.00) from it.
    march = pay(company, payment_methods.demo, "12000.00", "2026-03-02")
    with time_machine.travel(at("2026-03-02", 13), tick=False):
        place_order(
            billing_account=company, price=catalog.price(catalog.pro, 1), identifier="romashka.ru"
        )
    # 20.03.2026: 1,000.00 more; still ahead of what was rendered, so all of it in advance.
    later = pay(company, payment_methods.demo, "1000.00", "2026-03-20")

    # Received 14,200.00 in all by then; rendered before 20.03: hosting 499 × 18/31 = 289.74.
    assert received(later) == Money("14200.00", "RUB")
    assert rendered_before(company.pk, dt.date(2026, 3, 20), "RUB") == Money("289.74", "RUB")

    out = advances("2026-03-21", "--since", "2025-12-01")
    assert "issued=3 skipped=0 errors=0" in out
    first, second, third = AdvanceInvoice.objects.order_by("issued_on")
    assert (first.payment, first.issued_on, first.year, first.number) == (
        december,
        dt.date(2025, 12, 31),
        2025,
        1,
    )
    # 1,200 × 20/120 = 200.00; 12,000 × 22/122 = 2,163.93; 1,000 × 22/122 = 180.33.
    assert (first.amount, first.vat_rate, first.vat_amount) == (
        Decimal("1200.00"),
        Decimal(20),
        Decimal("200.00"),
    )
    assert (second.payment, second.year, second.number) == (march, 2026, 1)
    assert (second.amount, second.vat_rate, second.vat_amount) == (
        Decimal("12000.00"),
        Decimal(22),
        Decimal("2163.93"),
    )
    assert (third.payment, third.number, third.amount, third.vat_amount) == (
        later,
        2,
        Decimal("1000.00"),
        Decimal("180.33"),
    )
    assert third.payment_document == later.number and third.payment_date == dt.date(2026, 3, 20)
    assert third.payer["inn"] == COMPANY["inn"] and third.provider["inn"] == "7707083893"

    # A rerun issues nothing twice.
    assert "issued=0 skipped=0 errors=0" in advances("2026-03-22", "--since", "2025-12-01")
    assert AdvanceInvoice.objects.count() == 3


def test_the_daily_run_issues_them_within_five_days(company, payment_methods):
    from hutor.billing.run import run_billing

    payment = pay(company, payment_methods.demo, "500.00", "2026-04-06")
    with time_machine.travel(at("2026-04-07", 3), tick=False):
        run = run_billing()
    assert run.counts["advances"]["issued"] == 1
    invoice = AdvanceInvoice.objects.get(payment=payment)
    assert (invoice.issued_on, invoice.vat_amount) == (dt.date(2026, 4, 6), Decimal("90.16"))
    with time_machine.travel(at("2026-04-08", 3), tick=False):
        run = run_billing()
    assert run.counts["advances"].get("issued", 0) == 0
    assert AdvanceInvoice.objects.count() == 1


def test_none_for_an_individual_or_without_vat(account_factory, provider, payment_methods):
    add_rule(provider=provider, regime="simplified", rate=None, effective_from=dt.date(2000, 1, 1))
    add_rule(
        provider=provider,
        regime="simplified_vat5",
        rate=Decimal(5),
        effective_from=dt.date(2026, 5, 1),
    )
    with time_machine.travel(at("2026-04-01"), tick=False):
        company = account_factory(**COMPANY)
        person = account_factory(name="Иван Петров")
    pay(company, payment_methods.demo, "1000.00", "2026-04-30")  # simplified: no VAT
    pay(person, payment_methods.demo, "1000.00", "2026-05-04")  # an individual: a receipt
    paid_in_may = pay(company, payment_methods.demo, "1000.00", "2026-05-04")
    # The individual's payment is not even looked at; the April one is skipped (no VAT).
    assert "issued=1 skipped=1 errors=0" in advances("2026-05-05", "--since", "2026-04-01")
    invoice = AdvanceInvoice.objects.get()
    # 1,000 × 5/105 = 47.62, the simplified regime's VAT.
    assert (invoice.payment, invoice.vat_rate, invoice.vat_amount) == (
        paid_in_may,
        Decimal(5),
        Decimal("47.62"),
    )


def test_a_bad_day_is_refused_in_the_readers_language(provider):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        advances("2026-03-01", "--since", "01.03.2026")


def test_the_payment_part_that_pays_for_services_rendered_is_no_advance():
    rub = lambda s: Money(s, "RUB")  # noqa: E731
    # Paid 1,000 in all, 700 of services rendered: of this 500 payment 300 is in advance.
    assert advance_part(rub("500.00"), rub("1000.00"), rub("700.00")) == rub("300.00")
    assert advance_part(rub("500.00"), rub("1000.00"), rub("1000.00")) == rub("0.00")
    assert advance_part(rub("500.00"), rub("1000.00"), rub("100.00")) == rub("500.00")
    assert [rate_fraction(Decimal(r)) for r in ("22", "20.00", "5", "7")] == [
        "22/122",
        "20/120",
        "5/105",
        "7/107",
    ]


@given(
    amount=st.decimals(min_value=0, max_value=100000, places=2),
    days=st.integers(1, 800),
    elapsed=st.integers(-5, 900),
)
def test_rendered_by_a_day_stays_within_the_period(amount, days, elapsed):
    start = dt.date(2026, 1, 1)
    end = start + dt.timedelta(days=days)
    done = rendered_by(Money(amount, "RUB"), start, end, start + dt.timedelta(days=elapsed))
    assert Decimal(0) <= done.amount <= amount
    if elapsed >= days:
        assert done.amount == amount


def test_the_pdf_in_the_form_of_decree_1137(company, payment_methods):
    from hutor.documents import advance_pdf
    from hutor.documents.tests.test_closing import _text
    from hutor.testing import save_pdf_screenshot

    payment = pay(company, payment_methods.demo, "12000.00", "2026-03-02")
    advances("2026-03-03")
    invoice = AdvanceInvoice.objects.get()
    pdf = advance_pdf.render_pdf(invoice, "ru")
    save_pdf_screenshot(pdf, "advance-invoice-factura-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert "Счёт-фактура № А-1 от 02.03.2026" in text
    assert "ИНН/КПП продавца: 7707083893/773601001" in text
    assert "ИНН/КПП покупателя: 7736207543/773601001" in text
    assert "Грузоотправитель и его адрес: — (4) Грузополучатель и его адрес: —" in text
    assert f"(5) {payment.number}" not in text and f"№ {payment.number}" in text
    assert "Документ об отгрузке: —" in text
    # Columns 1б–6 dashes, 7 the calculated rate, 8 the tax, 9 the prepayment.
    assert "— — — — — — — 22/122 2 163,93 12 000,00 —" in text
    assert "Всего к оплате — X 2 163,93 12 000,00" in text
    english = " ".join(_text(advance_pdf.render_pdf(invoice, "en")).split())
    assert "Invoice-factura № А-1 of 02.03.2026" in english
    assert f"(5) To the payment document № {payment.number} of 02.03.2026" in english
    assert f"Prepayment for services, billing account № {company.number}" in english
    assert "22/122 2,163.93 12,000.00" in english
    assert advance_pdf.title(invoice, "en") == "Advance invoice-factura № А-1 of 02.03.2026"


def test_the_customer_and_the_desk_see_them(client, company, payment_methods, account_factory):
    from hutor.documents.tests.test_closing_pages import PASSWORD, staff

    company.user.set_password(PASSWORD)
    company.user.save(update_fields=["password"])
    pay(company, payment_methods.demo, "12000.00", "2026-03-02")
    advances("2026-03-03")
    invoice = AdvanceInvoice.objects.get()
    client.login(email=company.contact_email, password=PASSWORD)
    page = client.get("/panel/balance/documents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Advance invoice-factura № А-1 of 02.03.2026" in page and "12,000.00" in page
    pdf = client.get(f"/panel/balance/documents/advance/{invoice.pk}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "advance-invoice-factura-2026-1.pdf" in pdf["Content-Disposition"]
    # Another customer's is a 404.
    other = account_factory(password=PASSWORD, email="other@example.com")
    client.logout()
    client.login(email=other.contact_email, password=PASSWORD)
    assert client.get(f"/panel/balance/documents/advance/{invoice.pk}.pdf").status_code == 404

    desk = staff("support")
    account_page = desk.get(f"/desk/accounts/{company.number}/").content.decode()
    flat = account_page.replace("\xa0", " ").replace("\u202f", " ")
    assert "Счёт-фактура № А-1" in flat and "2 163,93 ₽" in flat and "12 000,00 ₽" in flat
    url = f"/desk/accounts/{company.number}/advance-invoices/{invoice.pk}.pdf"
    assert f'href="{url}"' in account_page
    assert desk.get(url).content.startswith(b"%PDF")
    assert (
        desk.get(f"/desk/accounts/{other.number}/advance-invoices/{invoice.pk}.pdf").status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_issue_each_once_and_gapless(account_factory, general, payment_methods):
    import threading

    from django.db import connection

    from hutor.documents.advances import issue_advances

    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrency are PostgreSQL's")
    n = 40
    with time_machine.travel(at("2026-03-01"), tick=False):
        accounts = [account_factory(**COMPANY) for _ in range(n)]
    for account in accounts:
        pay(account, payment_methods.demo, "122.00", "2026-03-02")
    failures: list[BaseException] = []

    def run() -> None:
        try:
            report = issue_advances(dt.date(2026, 3, 1))
            assert not report.errors, report.errors
        except BaseException as exc:  # reported to the test's thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    # time_machine patches the clock process-wide: both threads see 3 March.
    with time_machine.travel(at("2026-03-03"), tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures
    numbers = sorted(AdvanceInvoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, n + 1))
    assert {i.vat_amount for i in AdvanceInvoice.objects.all()} == {Decimal("22.00")}


def test_the_admin_lists_them_read_only(admin_client, company, payment_methods):
    pay(company, payment_methods.demo, "12000.00", "2026-03-02")
    advances("2026-03-03")
    invoice = AdvanceInvoice.objects.get()
    page = admin_client.get("/admin/documents/advanceinvoice/")
    assert page.status_code == 200 and company.number in page.content.decode()
    assert admin_client.get("/admin/documents/advanceinvoice/add/").status_code == 403
    change = admin_client.post(
        f"/admin/documents/advanceinvoice/{invoice.pk}/change/", {"amount": "1.00"}
    )
    assert change.status_code == 403
    invoice.refresh_from_db()
    assert invoice.amount == Decimal("12000.00")
