"""Issue 12, items 14 and 15, through the desk's pages: the email table says what its columns
are, and staff print a pending bank top-up's document from the payment's page."""

import pytest

from hutor.backoffice.models import Role

pytestmark = pytest.mark.django_db


def test_a_pending_bank_top_up_document_is_printed_from_the_desk(desk_client, world, client):
    desk, _staff = desk_client(Role.SUPPORT)
    page = desk.get(f"/desk/payments/{world.pending_payment.number}/").content.decode()
    assert "Распечатать банковский документ" in page
    pdf = page.split('href="/pay/link/', 1)[1].split("document.pdf")[0]
    response = client.get(f"/pay/link/{pdf}document.pdf")  # the link works for anyone holding it
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_email_table_names_the_subject_column(desk_client, world):
    desk, _staff = desk_client(Role.SUPPORT)
    page = desk.get(f"/desk/accounts/{world.account.number}/").content.decode()
    emails = page[page.index('id="emails-title"') :]
    assert "<th>Тема</th>" in emails
    assert 'class="small cell-email" title="olga@example.com"' in emails
