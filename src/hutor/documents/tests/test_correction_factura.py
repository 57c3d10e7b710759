"""The correction invoice-factura (корректировочный счёт-фактура, Decree No. 1137 Appendix 2):
a VAT payer's correction act comes with one, under the correction's number and date, referring
to the original invoice-factura, each changed line as rows А (before), Б (after), В (increase)
or Г (decrease). The worked example of docs/documents-and-taxes.md, figure for figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hutor.documents import closing_pdf
from hutor.documents.models import ClosingDocument
from hutor.documents.tests.test_closing import COMPANY, _text, at, close
from hutor.services.actions import place_order
from hutor.services.tariffs import change_tariff
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db


def test_a_late_tariff_change_of_a_vat_payer(account_factory, catalog, top_up, provider, client):
    from hutor.testing import save_pdf_screenshot

    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(password="Pass-word-2026", **COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.pro, 1), identifier="shop.ru"
        )
    close("2026-02", "2026-03-01")
    original = ClosingDocument.objects.get()
    with time_machine.travel(at("2026-02-20"), tick=False):  # recorded late, dated in February
        change_tariff(service=account.services.get(), new_tariff=catalog.start)
    close("2026-02", "2026-03-05")
    correction = ClosingDocument.objects.get(correction=1)
    # February's share of hosting «Профи» 499.00 for 10.02–10.03 (28 days) was 499 × 19/28 =
    # 338.61, VAT 338.61 × 22/122 = 61.06; after the tariff change it is 242.18, VAT 43.67.
    assert (original.total, original.vat_amount) == (Decimal("338.61"), Decimal("61.06"))
    assert (correction.total, correction.vat_amount) == (Decimal("242.18"), Decimal("43.67"))
    assert closing_pdf.has_invoice_factura(correction)
    pdf = closing_pdf.render_invoice_factura_pdf(correction, "ru")
    save_pdf_screenshot(pdf, "correction-invoice-factura-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert "ИНН/КПП продавца: 7707083893/773601001" in text
    assert "(3б) ИНН/КПП покупателя: 7736207543/773601001" in text
    assert "Хостинг «Старт», shop.ru, за период с 10.02.2026 по 28.02.2026" in text
    # Columns 5, 7, 8, 9: before 277.55 + 61.06 = 338.61; after 198.51 + 43.67 = 242.18; the
    # decrease (row Г) 79.04 + 17.39 = 96.43; no increase.
    assert "1 277,55 277,55 без акциза 22% 61,06 338,61" in text
    assert "1 198,51 198,51 без акциза 22% 43,67 242,18" in text
    assert "X X X — — X — —" in text and "X X X 79,04 — X 17,39 96,43" in text
    assert text.endswith("Петрова А. А.") and "0,00 X 0,00 0,00" in text
    english = " ".join(_text(closing_pdf.render_invoice_factura_pdf(correction, "en")).split())
    assert "Correction invoice-factura № 2 of 05.03.2026 (1)" in english
    assert "to the invoice-factura № 1 of 28.02.2026" in english
    assert "Г (decrease) X X X 79.04 — X 17.39 96.43" in english
    assert "Total increase (sum of rows В) 0.00 X 0.00 0.00" in english
    assert "Total decrease (sum of rows Г) 79.04 X 17.39 96.43" in english

    # The customer downloads it beside the correction act.
    client.login(email=account.contact_email, password="Pass-word-2026")
    page = client.get("/panel/balance/documents/").content.decode()
    url = f"/panel/balance/documents/{correction.pk}/invoice-factura.pdf"
    assert url in page
    assert client.get(url).content.startswith(b"%PDF")


def test_no_correction_invoice_factura_without_vat(account_factory, catalog, top_up, client):
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(password="Pass-word-2026", **COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.pro, 1), identifier="shop.ru"
        )
    close("2026-02", "2026-03-01")
    with time_machine.travel(at("2026-02-20"), tick=False):
        change_tariff(service=account.services.get(), new_tariff=catalog.start)
    close("2026-02", "2026-03-05")
    correction = ClosingDocument.objects.get(correction=1)
    assert not closing_pdf.has_invoice_factura(correction)
    client.login(email=account.contact_email, password="Pass-word-2026")
    url = f"/panel/balance/documents/{correction.pk}/invoice-factura.pdf"
    assert client.get(url).status_code == 404
