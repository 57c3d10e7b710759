"""The УКД (универсальный корректировочный документ): a correction of a УПД is drawn in the
unified form the FNS letter ММВ-20-15/86@ recommends: the status box (1: the correction
invoice-factura and the document on the change of value; 2: the latter only), lines (1)–(5),
rows А (before), Б (after), В (increase), Г (decrease) per changed line, the signatures and the
sending and receiving block. Its PDF text read back; its first page kept in docs/screenshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from hutor.documents import closing_pdf
from hutor.documents.models import ClosingDocument, ClosingKind, ClosingSetting
from hutor.documents.tests.test_closing import COMPANY, _text, at, close
from hutor.services.actions import place_order
from hutor.services.tariffs import change_tariff
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db


def corrected_upd(account_factory, catalog, top_up, provider, *, upgrade: bool):
    ClosingSetting.objects.create(
        provider=provider, account_kind="company", document_kind=ClosingKind.UPD
    )
    first, then = (catalog.start, catalog.pro) if upgrade else (catalog.pro, catalog.start)
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(**COMPANY)
        top_up(account, "1000.00")
        place_order(billing_account=account, price=catalog.price(first, 1), identifier="shop.ru")
    close("2026-02", "2026-03-01")
    with time_machine.travel(at("2026-02-20"), tick=False):  # recorded late, dated in February
        change_tariff(service=account.services.get(), new_tariff=then)
    close("2026-02", "2026-03-05")
    return ClosingDocument.objects.get(correction=1)


def test_a_upd_of_a_vat_payer_is_corrected_by_a_ukd_of_status_1(
    account_factory, catalog, top_up, provider
):
    from hutor.testing import save_pdf_screenshot

    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    correction = corrected_upd(account_factory, catalog, top_up, provider, upgrade=False)
    assert correction.kind == ClosingKind.UPD and correction.corrects.kind == ClosingKind.UPD
    pdf = closing_pdf.render_pdf(correction, "ru")
    save_pdf_screenshot(pdf, "ukd-status1-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert "Универсальный корректировочный документ Статус: 1" in text
    assert "Корректировочный счёт-фактура № 2 от 05.03.2026 (1)" in text
    assert "к счёту-фактуре № 1 от 28.02.2026" in text
    assert "(2б) ИНН/КПП продавца: 7707083893/773601001" in text
    assert "(3б) ИНН/КПП покупателя: 7736207543/773601001" in text
    # «Профи» → «Старт» for February: 338.61 (VAT 61.06) before, 242.18 (43.67) after; the
    # decrease (row Г) 96.43, of it VAT 17.39.
    assert "1 — Хостинг «Старт», shop.ru, за период с 10.02.2026 по 28.02.2026" in text
    assert "А (до изменения) — — усл. 1 277,55 277,55 без акциза 22% 61,06 338,61" in text
    assert "Б (после изменения) усл. 1 198,51 198,51 без акциза 22% 43,67 242,18" in text
    assert "Г (уменьшение) X X X 79,04 — X 17,39 96,43" in text
    assert "Всего уменьшение (сумма строк Г) 79,04 X 17,39 96,43" in text
    assert (
        "Передаточные документы (документы об отгрузке), показатели которых изменяются: "
        "Универсальный передаточный документ № 1 от 28.02.2026"
    ) in text
    assert "Документ составил и направил" in text and "Документ получил" in text
    # A УКД of status 1 is the correction invoice-factura itself: no separate one.
    assert not closing_pdf.has_invoice_factura(correction)
    english = " ".join(_text(closing_pdf.render_pdf(correction, "en")).split())
    assert "Universal correction document Status: 1" in english
    assert "Г (decrease) X X X 79.04 — X 17.39 96.43" in english


def test_without_vat_it_is_of_status_2(account_factory, catalog, top_up, provider):
    from hutor.testing import save_pdf_screenshot

    correction = corrected_upd(account_factory, catalog, top_up, provider, upgrade=True)
    assert correction.vat_rate is None and correction.total > correction.total_before
    pdf = closing_pdf.render_pdf(correction, "ru")
    save_pdf_screenshot(pdf, "ukd-status2-pdf-ru")
    text = " ".join(_text(pdf).split())
    assert "Универсальный корректировочный документ Статус: 2" in text
    # «Старт» → «Профи»: 135.04 before, 231.47 after, the increase (row В) 96.43; columns 7 and
    # 8 «без НДС».
    assert "А (до изменения) — — усл. 1 135,04 135,04 без акциза без НДС без НДС 135,04" in text
    assert "Б (после изменения) усл. 1 231,47 231,47 без акциза без НДС без НДС 231,47" in text
    assert "В (увеличение) X X X 96,43 — X без НДС 96,43" in text
    assert "Всего увеличение (сумма строк В) 96,43 X без НДС 96,43" in text
