"""The customer's support tickets through the panel's pages: opening one with a file, the
list, replying, closing; bad input answered with a message (never a 500); files served only to
the ticket's customer; internal notes never shown."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hutor.panel.tests.forms import form_token
from hutor.support import actions
from hutor.support.models import Attachment, Ticket, TicketStatus
from hutor.support.tests.data import department

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def customer(account_factory):
    department()
    account = account_factory(notify=False)
    client = Client()
    client.force_login(account.user)
    return client, account


def open_one(client, **extra):
    data = {
        "subject": "Сайт не открывается",
        "department": department("technical").pk,
        "service": "",
        "text": "С утра ошибка 502 на romashka.ru",
        **form_token(client, "/panel/support/new/"),
        **extra,
    }
    return client.post("/panel/support/new/", data)


def test_a_customer_opens_a_ticket_with_a_file_and_sees_it(customer, settings):
    client, account = customer
    page = client.get("/panel/support/new/")
    assert page.status_code == 200 and "Техническая поддержка" in page.content.decode()
    response = open_one(client, attachments=[SimpleUploadedFile("shot.png", PNG, "image/png")])
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/panel/support/{ticket.number}/"
    assert ticket.number.startswith("T-") and ticket.billing_account == account
    assert ticket.status == TicketStatus.NEW and ticket.language == account.language
    attachment = Attachment.objects.get()
    assert attachment.file_name == "shot.png" and attachment.size == len(PNG)
    # Stored outside the database, under the support folder, by a random name.
    stored = settings.HUTOR_SUPPORT_FILES_DIR / attachment.path
    assert stored.read_bytes() == PNG and "shot" not in attachment.path
    detail = client.get(response["Location"]).content.decode()
    assert ticket.number in detail and "ошибка 502" in detail and "shot.png" in detail
    listing = client.get("/panel/support/").content.decode()
    assert ticket.number in listing and "Сайт не открывается" in listing
    download = client.get(f"/panel/support/{ticket.number}/files/{attachment.pk}/")
    assert download.status_code == 200
    assert download.content == PNG
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_reply_reopens_and_close_closes(customer):
    client, _account = customer
    open_one(client)
    ticket = Ticket.objects.get()
    url = f"/panel/support/{ticket.number}/"
    assert client.post(url + "close/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    assert client.post(url, {"text": "Опять не работает"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_STAFF and ticket.closed_at is None
    assert ticket.messages.count() == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"subject": ""}, "Обязательное поле"),
        ({"text": "   "}, "Обязательное поле"),
        ({"attachments": [SimpleUploadedFile("run.exe", b"MZ", "image/png")]}, "не принимаются"),
        ({"attachments": [SimpleUploadedFile("empty.txt", b"")]}, "пуст"),
        (
            {"attachments": [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(6)]},
            "не больше 5 файлов",
        ),
        ({"department": "999999"}, "Выберите корректный вариант"),
        ({"service": "999999"}, "Выберите корректный вариант"),
    ],
)
def test_bad_input_gets_a_clear_message_and_opens_nothing(customer, extra, message):
    client, _account = customer
    response = open_one(client, **extra)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_file_over_the_limit_is_refused_and_nothing_is_left_on_disk(customer, settings):
    settings.HUTOR_SUPPORT_MAX_FILE_MB = 1
    client, _account = customer
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (1024 * 1024))
    response = open_one(client, attachments=[big])
    assert response.status_code == 200 and "больше 1 МБ" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_another_customers_service_cannot_be_named(customer, account_factory, catalog):
    from hutor.services.actions import place_order

    client, _account = customer
    other = account_factory(notify=False)
    service = place_order(
        billing_account=other, price=catalog.price(catalog.start, 1), identifier="other.ru"
    )
    response = open_one(client, service=str(service.pk))
    assert response.status_code == 200 and Ticket.objects.count() == 0


def test_internal_notes_and_their_files_are_never_shown_to_the_customer(
    customer, django_user_model
):
    from hutor.support.files import Incoming

    client, _account = customer
    open_one(client)
    ticket = Ticket.objects.get()
    staff = django_user_model.objects.create_user(email="agent@staff.example", is_staff=True)
    note = actions.add_note(
        ticket=ticket,
        staff=staff,
        text="Клиент должен 500 ₽, не обещать",
        attachments=[Incoming(name="secret.txt", content=b"internal")],
    )
    page = client.get(f"/panel/support/{ticket.number}/").content.decode()
    assert "не обещать" not in page and "secret.txt" not in page
    file = note.attachments.get()
    assert client.get(f"/panel/support/{ticket.number}/files/{file.pk}/").status_code == 404


def test_a_staff_reply_emails_the_customer_in_their_language(account_factory, django_user_model):
    from hutor.notifications.models import OutboxEmail

    department()
    account = account_factory(notify=False, language="en")
    client = Client()
    client.force_login(account.user)
    open_one(client)
    ticket = Ticket.objects.get()
    staff = django_user_model.objects.create_user(email="agent@staff.example", is_staff=True)
    actions.staff_reply(ticket=ticket, staff=staff, text="We restarted the web server.")
    email = OutboxEmail.objects.get(template="support_reply")
    assert email.to_email == account.contact_email and email.language == "en"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CUSTOMER and ticket.first_replied_at
    page = client.get(f"/panel/support/{ticket.number}/").content.decode()
    assert "We restarted the web server." in page


def test_a_double_submitted_form_opens_one_ticket(customer, account_factory):
    """The form's one-time token (panel.submissions): the same form sent twice (a double
    click, a reload after sending) opens one ticket and lands on it both times."""
    client, _account = customer
    token = form_token(client, "/panel/support/new/")
    first = open_one(client, **token)
    second = open_one(client, **token, text="Повторная отправка")
    ticket = Ticket.objects.get()
    assert first["Location"] == second["Location"] == f"/panel/support/{ticket.number}/"
    assert ticket.messages.get().text == "С утра ошибка 502 на romashka.ru"
    page = client.get(second["Location"]).content.decode()
    assert "Эта форма уже отправлена" in page and ticket.number in page
    # A fresh rendering of the form carries a fresh token: a second ticket is opened.
    open_one(client, subject="Ещё вопрос")
    assert Ticket.objects.count() == 2
    # Without a token, or with another account's, nothing is opened and the form says why.
    data = {"subject": "Без токена", "department": department().pk, "text": "Текст"}
    page = client.post("/panel/support/new/", data)
    assert page.status_code == 200 and "одноразового" in page.content.decode()
    other = Client()
    other.force_login(account_factory(notify=False).user)
    stolen = client.post("/panel/support/new/", data | form_token(other, "/panel/support/new/"))
    assert stolen.status_code == 200 and Ticket.objects.count() == 2
