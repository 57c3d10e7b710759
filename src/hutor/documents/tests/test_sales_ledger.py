"""The sales ledger (книга продаж) of a provider company for a quarter, read back row by row with
exact figures: the worked example of docs/documents-and-taxes.md («The sales ledger»): a company
customer's first quarter of 2026 with a prepayment (code 02), the sale (01), a correction that
raises the value (01 with column 5) and one that lowers it (not in the ledger); through
`hutor documents sales-ledger` (table, CSV, PDF) and the desk's page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from hutor.documents import sales_ledger
from hutor.documents.models import ClosingDocument
from hutor.documents.tests.test_advances import advances, pay
from hutor.documents.tests.test_closing import COMPANY, _text, at, close
from hutor.services.actions import place_order
from hutor.services.tariffs import change_tariff
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db


def ledger_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("documents", "sales-ledger", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def quarter(account_factory, catalog, top_up, provider, payment_methods):
    """Q1 2026 of ООО «Ромашка» (general regime, 22 % from 1 January 2026)."""
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    with time_machine.travel(at("2026-01-20"), tick=False):
        account = account_factory(**COMPANY)
    pay(account, payment_methods.demo, "2000.00", "2026-02-02")
    with time_machine.travel(at("2026-02-10"), tick=False):
        place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="shop.ru"
        )
    assert "issued=1" in advances("2026-02-03", "--since", "2026-01-01")
    close("2026-02", "2026-03-01")
    with time_machine.travel(at("2026-02-20"), tick=False):  # an upgrade recorded late
        change_tariff(service=account.services.get(), new_tariff=catalog.pro)
    close("2026-02", "2026-03-05")
    close("2026-03", "2026-04-01")
    return account


def test_the_worked_example(quarter, provider):
    # Paid periods after the late upgrade on 20.02: «Старт» 71.07 for 10.02–20.02 (199 × 10/28),
    # «Профи» 320.79 for 20.02–10.03 (499 × 18/28). February then renders 71.07 + 160.40 =
    # 231.47 (VAT 41.74) against the act's 135.04 (VAT 24.35): +96.43, VAT +17.39. March renders
    # 320.79 − 160.40 = 160.39 (VAT 28.92).
    ledger = sales_ledger.build(provider, sales_ledger.parse_quarter("2026Q1"))
    rows = [
        (r.position, r.code, r.number, r.date, r.correction_number, r.correction_date)
        for r in ledger.rows
    ]
    assert rows == [
        (1, "02", "А-1", dt.date(2026, 2, 2), "", None),
        (2, "01", "1", dt.date(2026, 2, 28), "", None),
        (3, "01", "1", dt.date(2026, 2, 28), "2", dt.date(2026, 3, 5)),
        (4, "01", "3", dt.date(2026, 3, 31), "", None),
    ]
    figures = [(str(r.total), str(r.without_vat), str(r.vat)) for r in ledger.rows]
    assert figures == [
        ("2000.00", "None", "360.66"),  # the prepayment: 2,000 × 22/122, columns 14–16 empty
        ("135.04", "110.69", "24.35"),  # «Старт» 199 × 19/28; 135.04 × 22/122
        ("96.43", "79.04", "17.39"),  # the upgrade's increase of February
        ("160.39", "131.47", "28.92"),  # «Профи» in March
    ]
    assert (ledger.rows[0].payment_document, ledger.rows[0].payment_date) == (
        "20000001",
        dt.date(2026, 2, 2),
    )
    assert {(r.buyer, r.buyer_inn_kpp) for r in ledger.rows} == {
        ("ООО «Ромашка»", "7736207543/773601001")
    }
    totals = ledger.totals()
    assert totals["total"] == Decimal("2391.86")
    assert totals["without"] == {Decimal(22): Decimal("321.20")}
    assert totals["vat"] == {Decimal(22): Decimal("431.32")}
    # The next quarter has none of them.
    assert sales_ledger.build(provider, sales_ledger.parse_quarter("2026Q2")).rows == []


def test_the_command_table_and_csv(quarter, provider, settings):
    table = ledger_cli("--quarter", "2026Q1").splitlines()
    assert table[0] == "Sales ledger of Тестовый Хостинг for quarter 1 of 2026"
    assert table[1] == (
        "1 | 02 | 3: А-1, 02.02.2026 | 7: ООО «Ромашка» | 8: 7736207543/773601001 | "
        "11: 20000001, 02.02.2026 | 13б: 2000.00 | VAT at 22%: 360.66"
    )
    assert table[3] == (
        "3 | 01 | 3: 1, 28.02.2026 | 5: 2, 05.03.2026 | 7: ООО «Ромашка» | "
        "8: 7736207543/773601001 | 13б: 96.43 | Sales taxed at 22%, without VAT: 79.04 | "
        "VAT at 22%: 17.39"
    )
    assert table[5] == (
        "Total | 13б: 2391.86 | Sales taxed at 22%, without VAT: 321.20 | VAT at 22%: 431.32"
    )
    rows = list(csv.reader(io.StringIO(ledger_cli("--quarter", "2026Q1", "--csv"))))
    assert rows[0][:3] == [
        "1. No.",
        "2. Operation kind code",
        "3. Number and date of the seller's invoice-factura",
    ]
    assert rows[0][-2:] == ["Sales taxed at 22%, without VAT", "VAT at 22%"]
    assert [row[1] for row in rows[1:-1]] == ["02", "01", "01", "01"]
    assert rows[2] == [
        "2", "01", "1, 28.02.2026", "", "", "", "ООО «Ромашка»", "7736207543/773601001",
        "", "", "", "", "", "135.04", "110.69", "24.35",
    ]  # fmt: skip
    assert rows[-1][0] == "Total" and rows[-1][-3:] == ["2391.86", "321.20", "431.32"]
    # In Russian, the company named by its INN.
    settings.HUTOR_CLI_LANGUAGE = "ru"
    russian = ledger_cli("--quarter", "2026q1", "--company", provider.inn, "--csv")
    head = next(csv.reader(io.StringIO(russian)))
    assert head[1] == "2. Код вида операции" and head[-1] == "НДС по ставке 22%"


def test_bad_input_is_said(quarter):
    for args, message in (
        (("--quarter", "2026-05"), "Write the quarter as YYYYQN, for example 2026Q1."),
        (("--quarter", "2026Q5"), "Write the quarter as YYYYQN, for example 2026Q1."),
        (("--quarter", "2026Q1", "--company", "0000000000"), "No provider company 0000000000."),
    ):
        with pytest.raises(CommandError, match=message):
            ledger_cli(*args)


def test_the_pdf_in_the_form(quarter, provider, tmp_path, settings):
    from hutor.testing import save_pdf_screenshot

    settings.HUTOR_CLI_LANGUAGE = "ru"
    ledger_cli("--quarter", "2026Q1", "--pdf", str(tmp_path / "ledger.pdf"))
    pdf = (tmp_path / "ledger.pdf").read_bytes()
    save_pdf_screenshot(pdf, "sales-ledger-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert "КНИГА ПРОДАЖ" in text and "Продавец: ООО «Тестовый Хостинг»" in text
    assert "Продажа за период с 01.01.2026 по 31.03.2026" in text
    assert (
        "1 02 А-1, 02.02.2026 ООО «Ромашка» 7736207543/773601001 20000001, 02.02.2026 "
        "2 000,00 360,66"
    ) in text
    assert (
        "3 01 1, 28.02.2026 2, 05.03.2026 ООО «Ромашка» 7736207543/773601001 96,43 79,04 17,39"
        in text
    )
    assert "Всего 2 391,86 321,20 431,32" in text


def test_a_decrease_and_documents_without_vat_stay_out(account_factory, catalog, top_up, provider):
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    add_rule(provider=provider, regime="simplified", rate=None, effective_from=dt.date(2026, 4, 1))
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.pro, 1), identifier="shop.ru"
        )
    close("2026-02", "2026-03-01")
    with time_machine.travel(at("2026-02-20"), tick=False):  # a downgrade recorded late
        change_tariff(service=account.services.get(), new_tariff=catalog.start)
    close("2026-02", "2026-03-05")
    assert ClosingDocument.objects.get(correction=1).total == Decimal("242.18")  # from 338.61
    ledger = sales_ledger.build(provider, sales_ledger.parse_quarter("2026Q1"))
    # The act only: the correction lowers the value, the seller's deduction (purchase ledger).
    assert [(r.code, r.number, r.total, r.vat) for r in ledger.rows] == [
        ("01", "1", Decimal("338.61"), Decimal("61.06"))
    ]
    with time_machine.travel(at("2026-04-06"), tick=False):
        top_up(account, "199.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="new.ru"
        )
    close("2026-04", "2026-05-01")  # under the simplified regime: «Без НДС», no invoice-factura
    assert ClosingDocument.objects.filter(month="2026-04-01").exists()
    assert sales_ledger.build(provider, sales_ledger.parse_quarter("2026Q2")).rows == []


def test_the_desk_page(quarter, provider, monkeypatch):
    from hutor.backoffice.views import sales_ledger as sales_ledger_views
    from hutor.documents.tests.test_closing_pages import staff

    accountant = staff("accountant")
    page = accountant.get("/desk/reports/sales-ledger/")
    assert page.status_code == 200 and 'name="quarter"' in page.content.decode()
    url = f"/desk/reports/sales-ledger/?company={provider.pk}&quarter=2026Q1"
    shown = accountant.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "SALES LEDGER" in shown and "А-1, 02.02.2026" in shown and "2,391.86" in shown
    answer = accountant.get(url + "&format=csv", HTTP_ACCEPT_LANGUAGE="en")
    assert answer["Content-Disposition"] == (
        'attachment; filename="sales-ledger-7707083893-2026Q1.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 6 and rows[1][:3] == ["1", "02", "А-1, 02.02.2026"]
    assert accountant.get(url + "&format=pdf").content.startswith(b"%PDF")
    bad = accountant.get("/desk/reports/sales-ledger/?company=1&quarter=spring")
    assert bad.status_code == 400
    assert "Укажите квартал в виде ГГГГQN, например 2026Q1." in bad.content.decode()
    # A PDF too long for a web request is refused with the way to get it.
    monkeypatch.setattr(sales_ledger_views, "DESK_PDF_ROWS", 3)
    refused = accountant.get(url + "&format=pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    assert "The ledger has 4 rows: the desk makes a PDF of at most 3 rows." in (
        refused.content.decode()
    )
    # Sales staff do not see the accountant's reports.
    assert staff("sales").get(url).status_code == 403
