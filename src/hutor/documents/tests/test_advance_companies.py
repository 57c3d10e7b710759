"""Advance invoices-factura of several provider companies (issue 17, part 6): each is issued by
the company the payment is for (payments.companies.company_of), numbered in that company's own
gapless series ("advance-YYYY-c<company id>", as
the closing documents), with that company's requisites on the PDF the customer downloads from
the panel; and each comes to the customer by email, once, with its PDF, in their language."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest
import time_machine
from django.core import mail

from hutor.core.models import Sequence
from hutor.core.tests.companies import company_b
from hutor.documents.advances import sequence_name
from hutor.documents.models import AdvanceInvoice
from hutor.documents.tests.test_advances import advances, pay
from hutor.documents.tests.test_closing import COMPANY, at
from hutor.notifications.actions import deliver_due
from hutor.notifications.models import OutboxEmail
from hutor.payments.tests.test_top_up_companies import demo_method_of
from hutor.taxes.actions import add_rule

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def two(account_factory, provider, payment_methods):
    """Company B bills companies (general regime, 22 %); the default company A too, and its own
    payment method «demo-a» makes a payment A's whoever pays."""
    add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    b = company_b(kinds=["company"])
    add_rule(provider=b, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1))
    demo_a = demo_method_of(provider)
    with time_machine.travel(at("2026-03-01"), tick=False):
        ru = account_factory(**COMPANY, password=PASSWORD)
        en = account_factory(
            **(COMPANY | {"name": "LLC Chamomile", "inn": "7707329152"}),
            language="en",
            password=PASSWORD,
        )
    return provider, b, ru, en, demo_a


def test_each_company_numbers_its_own_series_and_prints_its_requisites(
    client, two, payment_methods
):
    a, b, ru, en, demo_a = two
    to_b_1 = pay(ru, payment_methods.demo, "1220.00", "2026-03-02")  # companies are B's
    to_a = pay(ru, demo_a, "610.00", "2026-03-03")  # the method names A
    to_b_2 = pay(en, payment_methods.demo, "2440.00", "2026-03-04")
    assert "issued=3 skipped=0 errors=0" in advances("2026-03-05", "--since", "2026-03-01")

    by_payment = {i.payment_id: i for i in AdvanceInvoice.objects.all()}
    first, second, of_a = by_payment[to_b_1.pk], by_payment[to_b_2.pk], by_payment[to_a.pk]
    assert (first.company, first.number, second.company, second.number) == (b, 1, b, 2)
    assert (of_a.company, of_a.number) == (a, 1)  # A's own series starts at 1 too
    assert first.provider["inn"] == "7728168971" and of_a.provider["inn"] == "7707083893"
    assert (first.vat_amount, of_a.vat_amount) == (Decimal("220.00"), Decimal("110.00"))
    assert sequence_name(2026, a) == f"advance-2026-c{a.pk}"
    assert sequence_name(2026, b) == f"advance-2026-c{b.pk}"
    counters = dict(Sequence.objects.values_list("name", "next_value"))
    assert counters[f"advance-2026-c{a.pk}"] == 2 and counters[f"advance-2026-c{b.pk}"] == 3

    # The customer downloads it from the panel: company B's requisites, not A's.
    client.login(email=ru.contact_email, password=PASSWORD)
    pdf = client.get(f"/panel/balance/documents/advance/{first.pk}.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "ООО «Второй Хостинг»" in text and "7728168971/772801001" in text
    assert "Тестовый Хостинг" not in text and "А-1" in text
    text = pdf_text(client.get(f"/panel/balance/documents/advance/{of_a.pk}.pdf").content)
    assert "ООО «Тестовый Хостинг»" in text and "7707083893/773601001" in text
    # A rerun numbers nothing again.
    assert "issued=0" in advances("2026-03-06", "--since", "2026-03-01")


def test_each_comes_by_email_once_with_its_pdf_in_the_customers_language(two, payment_methods):
    _a, _b, ru, en, _demo_a = two
    pay(ru, payment_methods.demo, "1220.00", "2026-03-02")
    pay(en, payment_methods.demo, "2440.00", "2026-03-02")
    advances("2026-03-03", "--since", "2026-03-01")
    advances("2026-03-04", "--since", "2026-03-01")  # a rerun queues nothing more
    queued = OutboxEmail.objects.filter(template="advance_invoice")
    assert queued.count() == 2
    mail.outbox.clear()
    with time_machine.travel(at("2026-03-04"), tick=False):
        deliver_due()
        deliver_due()  # sent once: nothing left to send
    sent = [m for m in mail.outbox if "А-" in m.subject]
    assert len(sent) == 2
    to_ru = next(m for m in sent if m.to == [ru.contact_email])
    to_en = next(m for m in sent if m.to == [en.contact_email])
    assert to_ru.subject == "Счёт-фактура на аванс № А-1 от 02.03.2026"
    assert "Второй Хостинг получил ваш платёж" in to_ru.body and ru.number in to_ru.body
    assert "А-1от02.03.2026:1220,00₽,НДС220,00₽" in "".join(to_ru.body.split())
    assert "/panel/balance/documents/" in to_ru.body
    [(name, content, kind)] = to_ru.attachments
    assert name == "advance-invoice-factura-2026-1.pdf" and kind == "application/pdf"
    assert "ООО «Второй Хостинг»" in pdf_text(content)
    assert to_en.subject == "Advance invoice-factura № А-2 of 02.03.2026"
    assert "has received your payment" in to_en.body and en.number in to_en.body
    [(name, content, _kind)] = to_en.attachments
    assert name == "advance-invoice-factura-2026-2.pdf" and "Invoice-factura" in pdf_text(content)
