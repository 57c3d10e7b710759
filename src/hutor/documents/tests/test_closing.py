"""Monthly closing documents: the acts of a month built from what was rendered (the parts of
paid periods in the month, pro rata by what was paid), issued by `hutor documents close-month`
and by the daily billing run, numbered gaplessly, safe to rerun, corrected (never edited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from hutor.core.money import Money
from hutor.documents.calculations import month_share, next_month
from hutor.documents.models import ClosingDocument, ClosingKind, ClosingSetting
from hutor.services.actions import place_order
from hutor.services.models import PaidPeriod
from hutor.services.tariffs import change_tariff
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db

COMPANY = {
    "name": "ООО «Ромашка»",
    "kind": "company",
    "inn": "7736207543",
    "kpp": "773601001",
    "address": "119021, г. Москва, ул. Льва Толстого, д. 16",
}
MSK = dt.timezone(dt.timedelta(hours=3))


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=MSK)


def close(month: str, day: str) -> str:
    import io

    out = io.StringIO()
    with time_machine.travel(at(day), tick=False):
        call_command("documents", "close-month", month, stdout=out)
    return out.getvalue()


@given(
    amount=st.decimals(min_value=0, max_value=100000, places=2),
    start=st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
    days=st.integers(1, 800),
)
def test_the_months_of_a_period_add_up_to_what_was_paid(amount, start, days):
    end = start + dt.timedelta(days=days)
    paid = Money(amount, "RUB")
    month, shares = start.replace(day=1), []
    while month < end:
        shares.append(month_share(paid, start, end, month))
        month = next_month(month)
    assert sum(s.amount for s in shares) == amount
    assert all(s.amount >= 0 for s in shares)


def test_a_quarter_paid_in_february_by_months():
    paid = Money("549.00", "RUB")  # 10.02–10.05.2026, 89 days
    start, end = dt.date(2026, 2, 10), dt.date(2026, 5, 10)
    shares = [month_share(paid, start, end, dt.date(2026, m, 1)).amount for m in (2, 3, 4, 5)]
    # 549 × 19/89 = 117.20; 549 × 50/89 = 308.43 less 117.20; …; May takes the remainder
    assert shares == [Decimal("117.20"), Decimal("191.23"), Decimal("185.05"), Decimal("55.52")]


@pytest.fixture
def customers(account_factory, catalog, top_up):
    """A company and a sole proprietor order hosting «Старт» for three months on 10.02.2026
    (549.00, paid from the balance); an individual orders the same."""
    made = {}
    with time_machine.travel(at("2026-02-10"), tick=False):
        for kind, requisites in (
            ("company", COMPANY),
            ("sole_proprietor", {"kind": "sole_proprietor", "inn": "500100732259"}),
        ):
            account = account_factory(**requisites)
            top_up(account, "1000.00")
            place_order(
                billing_account=account,
                price=catalog.price(catalog.start, 3),
                identifier=f"{kind.replace('_', '-')}.ru",
            )
            made[kind] = account
        person = account_factory(name="Иван Петров", kind="individual")
        top_up(person, "1000.00")
        place_order(
            billing_account=person, price=catalog.price(catalog.start, 3), identifier="ivan.ru"
        )
        made["individual"] = person
    return made


def test_close_month_issues_acts_to_companies_only_and_a_rerun_adds_nothing(customers, provider):
    ClosingSetting.objects.create(
        provider=provider, account_kind="sole_proprietor", document_kind=ClosingKind.UPD
    )
    out = close("2026-02", "2026-03-01")
    assert "issued=2" in out
    company, sole = (
        ClosingDocument.objects.get(billing_account=customers[k])
        for k in ("company", "sole_proprietor")
    )
    assert not ClosingDocument.objects.filter(billing_account=customers["individual"]).exists()
    assert (company.kind, sole.kind) == (ClosingKind.ACT, ClosingKind.UPD)
    assert sorted([company.number, sole.number]) == [1, 2] and company.year == 2026
    assert company.issued_on == dt.date(2026, 2, 28)
    assert company.total == Decimal("117.20") and company.vat_amount is None  # no rule: no VAT
    assert company.provider["inn"] == provider.inn and company.payer["inn"] == "7736207543"
    [line] = company.lines.all()
    assert line.description_ru == (
        "Хостинг «Старт», company.ru, за период с 10.02.2026 по 28.02.2026"
    )
    assert line.amount == Decimal("117.20")

    assert "issued=0 corrections=0 unchanged=2" in close("2026-02", "2026-03-02")
    assert ClosingDocument.objects.count() == 2

    close("2026-03", "2026-04-01")
    march = ClosingDocument.objects.get(billing_account=customers["company"], month="2026-03-01")
    assert march.total == Decimal("191.23") and march.number in (3, 4)
    # The months of the quarter add up to what was paid.
    close("2026-04", "2026-05-01")
    close("2026-05", "2026-06-01")
    totals = ClosingDocument.objects.filter(billing_account=customers["company"])
    assert sum(d.total for d in totals) == Decimal("549.00")
    assert sorted(ClosingDocument.objects.values_list("number", flat=True)) == list(range(1, 9))


def test_the_month_must_have_ended_and_be_written_right(customers, settings):
    settings.HUTOR_CLI_LANGUAGE = "en"
    with pytest.raises(CommandError, match="has not ended"):
        close("2026-02", "2026-02-28")
    with pytest.raises(CommandError, match="YYYY-MM"):
        close("2026-13", "2026-03-01")
    settings.HUTOR_CLI_LANGUAGE = "ru"  # the default of the real settings
    with pytest.raises(CommandError, match="Месяц ещё не закончился"):
        close("2026-02", "2026-02-28")
    with pytest.raises(CommandError, match="ГГГГ-ММ"):
        close("2026-1", "2026-03-01")
    assert not ClosingDocument.objects.exists()


def test_vat_of_the_rule_in_force_on_the_last_day_across_new_year(
    account_factory, catalog, top_up, provider
):
    add_rule(
        provider=provider, regime="general", rate=Decimal(20), effective_from=dt.date(2000, 1, 1)
    )
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    with time_machine.travel(at("2025-12-10"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.start, 3), identifier="shop.ru"
        )
    close("2025-12", "2026-01-01")
    close("2026-01", "2026-02-01")
    december, january = ClosingDocument.objects.order_by("month")
    # 10.12.2025–10.03.2026 is 90 days: December 22 of them, 549 × 22/90 = 134.20
    assert (december.year, december.number, december.vat_rate) == (2025, 1, Decimal(20))
    assert december.total == Decimal("134.20") and december.vat_amount == Decimal("22.37")
    # January: 549 × 53/90 = 323.30 less 134.20 = 189.10; VAT 189.10 × 22/122 = 34.10
    assert (january.year, january.number, january.vat_rate) == (2026, 1, Decimal(22))
    assert january.total == Decimal("189.10") and january.vat_amount == Decimal("34.10")


def test_a_late_tariff_change_gives_a_correction_never_an_edit(account_factory, catalog, top_up):
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.pro, 1), identifier="shop.ru"
        )
    close("2026-02", "2026-03-01")
    original = ClosingDocument.objects.get()
    assert original.total == Decimal("338.61")  # 499 × 19/28
    service = account.services.get()
    with time_machine.travel(at("2026-02-20"), tick=False):  # recorded late, dated in February
        change_tariff(service=service, new_tariff=catalog.start)
    rendered = sum(
        month_share(Money(p.amount, p.currency), p.start, p.end, dt.date(2026, 2, 1)).amount
        for p in PaidPeriod.objects.filter(service=service)
    )
    assert "corrections=1" in close("2026-02", "2026-03-05")
    original.refresh_from_db()
    assert original.total == Decimal("338.61")  # the issued document is untouched
    correction = ClosingDocument.objects.get(correction=1)
    assert correction.corrects == original and correction.issued_on == dt.date(2026, 3, 5)
    assert correction.number == 2 and correction.total_before == Decimal("338.61")
    assert correction.total == rendered < original.total
    [line] = correction.lines.all()
    assert (line.amount_before, line.amount) == (Decimal("338.61"), rendered)
    assert "corrections=0 unchanged=1" in close("2026-02", "2026-03-06")


def test_the_daily_billing_run_closes_the_last_month(customers):
    with time_machine.travel(at("2026-03-01"), tick=False):
        call_command("billing", "run")
        call_command("billing", "run")
    assert ClosingDocument.objects.count() == 2
    assert set(ClosingDocument.objects.values_list("number", flat=True)) == {1, 2}


def _text(pdf: bytes) -> str:
    import io

    import pypdf

    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_act_pdf_in_both_languages_and_the_upd(customers, provider):
    from hutor.documents import closing_pdf
    from hutor.testing import save_pdf_screenshot

    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    ClosingSetting.objects.create(
        provider=provider, account_kind="sole_proprietor", document_kind=ClosingKind.UPD
    )
    close("2026-02", "2026-03-01")
    act = ClosingDocument.objects.get(billing_account=customers["company"])
    pdf = closing_pdf.render_pdf(act, "ru")
    save_pdf_screenshot(pdf, "act-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert f"Акт № {act.number} от 28.02.2026" in text
    assert "ООО «Тестовый Хостинг»" in text and "ИНН 7736207543" in text
    assert "Хостинг «Старт», company.ru, за период с 10.02.2026 по 28.02.2026" in text
    assert "В том числе НДС 22%: 21,13" in text  # 117.20 × 22 / 122
    assert "Сто семнадцать рублей 20 копеек" in text
    english = " ".join(_text(closing_pdf.render_pdf(act, "en")).split())
    save_pdf_screenshot(closing_pdf.render_pdf(act, "en"), "act-pdf-en")
    assert f"Act № {act.number} of 28.02.2026" in english and "Including VAT 22%" in english
    # The provider charges VAT: the УПД is of status 1, the invoice-factura itself.
    upd = ClosingDocument.objects.get(billing_account=customers["sole_proprietor"])
    assert upd.upd_status == 1 and not closing_pdf.has_invoice_factura(upd)
    pdf = closing_pdf.render_pdf(upd, "ru")
    save_pdf_screenshot(pdf, "upd-status1-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert f"Счёт-фактура № {upd.number} от 28.02.2026" in text
    assert f"Универсальный передаточный документ № {upd.number} от 28.02.2026" in text
    # 117.20: without tax 96.07, 22%, tax 21.13 (columns 5, 7, 8, 9).
    assert "96,07 96,07 без акциза 22% 21,13 117,20" in text
    assert "Всего к оплате 96,07 X 21,13 117,20" in text
    english = " ".join(_text(closing_pdf.render_pdf(upd, "en")).split())
    assert "Universal transfer document Status: 1" in english
    assert "1 — invoice-factura and transfer document (act); 2 — transfer document (act)" in english
    assert "[10] Services, results of work, rights handed over" in english


def test_a_upd_without_vat_is_of_status_2(customers, provider):
    from hutor.documents import closing_pdf
    from hutor.testing import save_pdf_screenshot

    add_rule(provider=provider, regime="simplified", rate=None, effective_from=dt.date(2026, 1, 1))
    ClosingSetting.objects.create(
        provider=provider, account_kind="company", document_kind=ClosingKind.UPD
    )
    close("2026-02", "2026-03-01")
    upd = ClosingDocument.objects.get(billing_account=customers["company"])
    assert upd.upd_status == 2 and not closing_pdf.has_invoice_factura(upd)
    pdf = closing_pdf.render_pdf(upd, "ru")
    save_pdf_screenshot(pdf, "upd-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert "Всего к оплате 117,20 X" in text and "117,20 без акциза" in text
    english = " ".join(_text(closing_pdf.render_pdf(upd, "en")).split())
    assert "Universal transfer document Status: 2" in english
    assert "117.20 117.20 no excise no VAT no VAT 117.20" in english


def test_the_invoice_factura_of_a_vat_payer(customers, provider):
    from hutor.documents import closing_pdf
    from hutor.testing import save_pdf_screenshot

    add_rule(
        provider=provider,
        regime="simplified_vat5",
        rate=Decimal(5),
        effective_from=dt.date(2026, 1, 1),
    )
    close("2026-02", "2026-03-01")
    act = ClosingDocument.objects.get(billing_account=customers["company"])
    assert closing_pdf.has_invoice_factura(act)
    # 117.20 × 5 / 105 = 5.58; without VAT 111.62
    assert act.vat_amount == Decimal("5.58")
    pdf = closing_pdf.render_invoice_factura_pdf(act, "ru")
    save_pdf_screenshot(pdf, "invoice-factura-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert f"Счёт-фактура № {act.number} от 28.02.2026" in text
    assert "ИНН/КПП продавца: 7707083893/773601001" in text
    assert "111,62" in text and "5,58" in text and "117,20" in text and "5%" in text
    english = " ".join(_text(closing_pdf.render_invoice_factura_pdf(act, "en")).split())
    assert f"Invoice-factura № {act.number} of 28.02.2026" in english
