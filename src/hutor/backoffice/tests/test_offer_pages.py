"""The desk's pages for the public offer: an administrator writes a version and publishes it,
every role reads; refusals are said on the form and change nothing; the account page shows
what its customer accepted."""

from __future__ import annotations

import datetime as dt

import pytest

from hutor.backoffice.models import AuditEntry, Role
from hutor.core import clock
from hutor.offers import actions
from hutor.offers.models import Offer, OfferStatus

pytestmark = pytest.mark.django_db


def draft(number: str = "2", day: dt.date | None = None) -> dict[str, str]:
    return {
        "number": number,
        "effective_from": (day or clock.today()).isoformat(),
        "text_ru": "1. Исполнитель оказывает услуги.\n\n2. Заказчик оплачивает их.",
        "text_en": "1. The Contractor renders services.",
        "reason": "Новая редакция по решению директора",
    }


def test_an_administrator_writes_and_publishes_a_version(desk_client):
    client, admin = desk_client(Role.ADMIN)

    response = client.post("/desk/offers/new/", draft())
    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/offers/{offer.pk}/"
    assert offer.status == OfferStatus.DRAFT
    page = client.get(f"/desk/offers/{offer.pk}/").content.decode()
    assert "Исполнитель оказывает услуги." in page and "The Contractor renders" in page
    assert client.get("/offer/").status_code == 200
    assert "Исполнитель оказывает" not in client.get("/offer/").content.decode()

    response = client.post(f"/desk/offers/{offer.pk}/publish/", {"reason": "Утверждена"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.is_published and offer.published_at is not None
    assert "Исполнитель оказывает услуги." in client.get("/offer/").content.decode()
    entries = AuditEntry.objects.filter(object_type="offer", object_id=str(offer.pk))
    assert sorted(entries.values_list("action", flat=True)) == ["offer.edit", "offer.publish"]
    assert all(entry.staff == admin for entry in entries)
    # The text goes into the audit as its length, not copied.
    edit = entries.get(action="offer.edit")
    assert "Исполнитель" not in str(edit.changes)

    # Published: no more changes, said on the form.
    again = client.post(f"/desk/offers/{offer.pk}/edit/", draft() | {"text_ru": "Правка"})
    assert again.status_code == 200
    assert "Опубликованная оферта не меняется" in again.content.decode()
    offer.refresh_from_db()
    assert offer.text_ru.startswith("1. Исполнитель")


def test_refusals_are_said_and_change_nothing(desk_client):
    client, _admin = desk_client(Role.ADMIN)
    actions.save_draft(
        offer=None, values={"number": "1", "effective_from": clock.today(), "text_ru": "Т"}
    )
    taken = client.post("/desk/offers/new/", draft(number="1"))
    assert taken.status_code == 200 and Offer.objects.count() == 1
    no_reason = client.post("/desk/offers/new/", draft() | {"reason": ""})
    assert no_reason.status_code == 200 and Offer.objects.count() == 1
    past = client.post("/desk/offers/new/", draft(day=clock.today() - dt.timedelta(days=3)))
    assert past.status_code == 302
    old = Offer.objects.get(number="2")
    refused = client.post(f"/desk/offers/{old.pk}/publish/", {"reason": "Задним числом"})
    assert refused.status_code == 200 and "задним числом" in refused.content.decode()
    old.refresh_from_db()
    assert not old.is_published
    assert not AuditEntry.objects.filter(action="offer.publish").exists()


def test_support_reads_the_offer_but_cannot_write_it(desk_client):
    client, _support = desk_client(Role.SUPPORT)
    offer, _ = actions.save_draft(
        offer=None, values={"number": "1", "effective_from": clock.today(), "text_ru": "Т"}
    )
    assert client.get("/desk/offers/").status_code == 200
    assert client.get(f"/desk/offers/{offer.pk}/").status_code == 200
    assert client.post("/desk/offers/new/", draft()).status_code == 403
    assert client.post(f"/desk/offers/{offer.pk}/publish/", {"reason": "x"}).status_code == 403
    offer.refresh_from_db()
    assert not offer.is_published and Offer.objects.count() == 1


def test_the_account_page_shows_what_its_customer_accepted(desk_client, world):
    client, _support = desk_client(Role.SUPPORT)
    offer, _ = actions.save_draft(
        offer=None, values={"number": "ПО-1", "effective_from": clock.today(), "text_ru": "Т"}
    )
    actions.publish(offer=offer)
    actions.accept(
        billing_account=world.account,
        offer_id=offer.pk,
        ip_address="198.51.100.20",
        user_agent="Mozilla/5.0 Test",
        order_token=None,
    )
    page = client.get(f"/desk/accounts/{world.account.number}/").content.decode()
    assert "№ ПО-1" in page and "198.51.100.20" in page and "Mozilla/5.0 Test" in page
