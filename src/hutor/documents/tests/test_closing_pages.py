"""Closing documents where people see them: the customer's list and PDFs in the panel (their
own only), the account page at the desk, and the accountant closing a month again (a
correction after a late tariff change), audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.documents.models import ClosingDocument
from hutor.documents.tests.test_closing import COMPANY, at, close
from hutor.services.actions import place_order
from hutor.services.tariffs import change_tariff

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


def staff(role: str) -> Client:
    from hutor.accounts.models import User
    from hutor.backoffice.models import StaffProfile

    user = User.objects.create_user(email=f"{role}@staff.example", password=PASSWORD, is_staff=True)
    StaffProfile.objects.create(user=user, role=role)
    return desk_session(Client(), user)


@pytest.fixture
def company(account_factory, catalog, top_up, provider):
    with time_machine.travel(at("2026-02-10"), tick=False):
        account = account_factory(password=PASSWORD, **COMPANY)
        top_up(account, "1000.00")
        place_order(
            billing_account=account, price=catalog.price(catalog.pro, 1), identifier="shop.ru"
        )
    close("2026-02", "2026-03-01")
    return account


def test_the_customer_lists_and_downloads_their_acts(client, company, account_factory):
    act = ClosingDocument.objects.get()
    client.login(email=company.contact_email, password=PASSWORD)
    balance = client.get("/panel/balance/").content.decode()
    assert "/panel/balance/documents/" in balance
    page = client.get("/panel/balance/documents/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert f"Акт № {act.number} от 28.02.2026" in page and "338,61" in page
    pdf = client.get(f"/panel/balance/documents/{act.pk}/document.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"act-2026-{act.number}.pdf" in pdf["Content-Disposition"]
    # No VAT rule: no invoice-factura.
    assert client.get(f"/panel/balance/documents/{act.pk}/invoice-factura.pdf").status_code == 404
    # Another customer sees none of it.
    other = account_factory(password=PASSWORD, email="other@example.com")
    client.logout()
    client.login(email=other.contact_email, password=PASSWORD)
    assert client.get(f"/panel/balance/documents/{act.pk}/document.pdf").status_code == 404
    assert "338,61" not in client.get("/panel/balance/documents/").content.decode()


def test_the_accountant_closes_a_month_again_and_gets_a_correction(company, catalog):
    act = ClosingDocument.objects.get()
    service = company.services.get()
    with time_machine.travel(at("2026-02-20"), tick=False):  # recorded late, dated in February
        change_tariff(service=service, new_tariff=catalog.start)
    support = staff(Role.SUPPORT)
    page = support.get(f"/desk/accounts/{company.number}/").content.decode()
    assert f"/desk/accounts/{company.number}/documents/{act.pk}/document.pdf" in page
    assert "/documents/regenerate/" not in page  # an accountant's action
    pdf = support.get(f"/desk/accounts/{company.number}/documents/{act.pk}/document.pdf")
    assert pdf.status_code == 200
    url = f"/desk/accounts/{company.number}/documents/regenerate/"
    assert support.post(url, {"month": "2026-02", "reason": "x"}).status_code == 403

    accountant = staff(Role.ACCOUNTANT)
    with time_machine.travel(at("2026-03-05"), tick=False):
        refused = accountant.post(url, {"month": "2026-03", "reason": "Late change"})
        assert refused.status_code == 200
        assert "Месяц ещё не закончился" in refused.content.decode()
        done = accountant.post(url, {"month": "2026-02", "reason": "Late tariff change"})
    assert done.status_code == 302
    correction = ClosingDocument.objects.get(correction=1)
    assert correction.corrects == act and correction.total_before == Decimal("338.61")
    entry = AuditEntry.objects.get(action="documents.regenerate_month")
    assert entry.changes == {
        "month": "2026-02",
        "closing_document": f"{correction.number}/2026",
        "correction": 1,
    }
    # The PDF of the correction states before, after and the difference.
    from hutor.documents import closing_pdf
    from hutor.documents.tests.test_closing import _text
    from hutor.testing import save_pdf_screenshot

    document = closing_pdf.render_pdf(correction, "ru")
    save_pdf_screenshot(document, "act-correction-pdf-ru")
    text = " ".join(_text(document).split())
    assert (
        f"Корректировочный акт № {correction.number} от 05.03.2026 к акту № {act.number} "
        "от 28.02.2026"
    ) in text
    assert (
        "338,61" in text and f"{correction.total - Decimal('338.61'):.2f}".replace(".", ",") in text
    )
    # Nothing changed since: closing again issues nothing.
    with time_machine.travel(at("2026-03-06"), tick=False):
        again = accountant.post(url, {"month": "2026-02", "reason": "Check"})
    assert again.status_code == 302 and ClosingDocument.objects.count() == 2


def test_the_month_documents_come_by_email_once(company, provider):
    from django.core import mail

    from hutor.notifications.actions import deliver_due
    from hutor.notifications.models import OutboxEmail

    act = ClosingDocument.objects.get()
    queued = OutboxEmail.objects.filter(template="closing_document")
    assert [e.params for e in queued] == [{"document_id": act.pk}]
    close("2026-02", "2026-03-02")  # a rerun queues nothing more
    assert queued.count() == 1
    mail.outbox.clear()
    deliver_due()
    [message] = [m for m in mail.outbox if "Закрывающие документы" in m.subject]
    assert message.subject == f"Закрывающие документы за 02.2026: Акт № {act.number} от 28.02.2026"
    assert message.to == [company.contact_email]
    assert "по биллинг-аккаунту" in message.body and "/panel/balance/documents/" in message.body
    [(name, content, _kind)] = message.attachments
    assert name == f"act-2026-{act.number}.pdf" and content.startswith(b"%PDF")

    # The same email in English (the renderer runs in the email's language).
    from django.utils import translation

    from hutor.documents.emails import closing_document

    email = OutboxEmail(template="closing_document", language="en", params={"document_id": act.pk})
    with translation.override("en"):
        rendered = closing_document(email)
    assert rendered.subject == f"Closing documents for 02.2026: Act № {act.number} of 28.02.2026"
    assert "the invoice-factura" not in rendered.text  # no VAT: no invoice-factura
