"""The public offer as a customer meets it: the version in force on the order form and its
pages, its acceptance recorded with the order, a version changed under an open form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import translation

from hutor.core import clock
from hutor.offers import actions, queries
from hutor.offers.exceptions import OfferError
from hutor.offers.models import Acceptance
from hutor.services.models import Service

pytestmark = pytest.mark.django_db

URL = "/order/hosting/start/"


def published(number: str, day: dt.date, text: str = "Текст оферты.", en: str = ""):
    offer, _ = actions.save_draft(
        offer=None,
        values={"number": number, "effective_from": day, "text_ru": text, "text_en": en},
    )
    with clock.travel(min(day, clock.today())):
        actions.publish(offer=offer)
    return offer


def form_fields(client: Client) -> dict[str, str]:
    page = client.get(URL).content.decode()
    token = re.search(r'name="order_token" value="([0-9a-f-]+)"', page)
    offer = re.search(r'name="offer"(?: value="(\d+)")?', page)
    assert token and offer, "the order form carries its token and the offer shown"
    return {"order_token": token.group(1), "offer": offer.group(1) or ""}


def order(client: Client, catalog, fields: dict[str, str], email: str = "olga@example.com"):
    return client.post(
        URL,
        fields
        | {
            "price": str(catalog.price(catalog.start, 1).pk),
            "identifier": "romashka.ru",
            "email": email,
            "name": "Ольга Смирнова",
            "kind": "individual",
            "accept_offer": "on",
        },
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        REMOTE_ADDR="203.0.113.7",
    )


def test_the_order_records_the_version_shown_with_time_address_and_browser(client, catalog):
    offer = published("1", clock.today())
    page = client.get(URL).content.decode()
    assert "публичную оферту № 1 от" in page
    assert 'href="/offer/1/"' in page

    response = order(client, catalog, form_fields(client))

    assert response.status_code == 302
    service = Service.objects.get()
    acceptance = Acceptance.objects.get()
    assert acceptance.offer == offer
    assert acceptance.billing_account == service.billing_account
    assert acceptance.order_token == service.order_token
    assert str(acceptance.ip_address) == "203.0.113.7"
    assert acceptance.user_agent == "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    assert abs(acceptance.accepted_at - clock.now()) < dt.timedelta(minutes=1)
    assert queries.contract_of(service.billing_account_id) == offer


def test_a_version_that_came_into_force_under_an_open_form_must_be_accepted_again(client, catalog):
    published("1", clock.today() - dt.timedelta(days=30))
    fields = form_fields(client)
    second = published("2", clock.today(), text="Новая редакция.")

    response = order(client, catalog, fields)

    assert response.status_code == 200
    page = response.content.decode()
    assert "прочитайте оферту № 2 и примите её снова" in page
    assert not Service.objects.exists() and not Acceptance.objects.exists()
    # The form now carries version 2, unticked: accepting it places the order.
    assert f'name="offer" value="{second.pk}"' in page
    assert 'name="accept_offer" checked' not in page
    response = order(client, catalog, fields | {"offer": str(second.pk)})
    assert response.status_code == 302
    assert Acceptance.objects.get().offer == second


def test_a_repeated_order_form_records_one_acceptance(client, catalog):
    published("1", clock.today())
    fields = form_fields(client)
    assert order(client, catalog, fields).status_code == 302
    assert order(client, catalog, fields).status_code == 302  # shown the same order
    assert Service.objects.count() == 1 and Acceptance.objects.count() == 1


def test_without_a_published_offer_orders_still_go_through_and_record_nothing(client, catalog):
    actions.save_draft(
        offer=None,
        values={"number": "1", "effective_from": clock.today(), "text_ru": "Черновик."},
    )
    assert order(client, catalog, form_fields(client)).status_code == 302
    assert not Acceptance.objects.exists()


def test_offer_pages_show_the_version_in_force_and_keep_earlier_ones_readable(client, provider):
    published("1", clock.today() - dt.timedelta(days=30), text="Первая редакция.")
    published("2", clock.today(), text="Вторая редакция.", en="Second version.")
    published("3", clock.today() + dt.timedelta(days=14), text="Третья редакция.")
    actions.save_draft(
        offer=None,
        values={"number": "4", "effective_from": clock.today(), "text_ru": "Черновик."},
    )

    current = client.get("/offer/").content.decode()
    assert "Вторая редакция." in current and "Первая редакция." not in current
    assert 'href="/offer/1/"' in current and 'href="/offer/3/"' in current
    assert "/offer/4/" not in current  # a draft is nobody's business
    earlier = client.get("/offer/1/").content.decode()
    assert "Первая редакция." in earlier and 'href="/offer/"' in earlier
    assert client.get("/offer/4/").status_code == 404
    assert client.get("/offer/nope/").status_code == 404

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/offer/").content.decode()
    assert "Second version." in english and "the contract is the Russian text" in english
    untranslated = client.get("/offer/1/").content.decode()
    assert "Первая редакция." in untranslated and "language of the contract" in untranslated


@translation.override("en")
def test_published_versions_are_frozen_and_dated_today_or_later(db):
    offer, changes = actions.save_draft(
        offer=None,
        values={"number": "7", "effective_from": clock.today(), "text_ru": "Текст."},
    )
    assert changes["number"] == {"from": None, "to": "7"}
    with pytest.raises(OfferError, match="exists already"):
        actions.save_draft(
            offer=None,
            values={"number": "7", "effective_from": clock.today(), "text_ru": "Другой."},
        )
    with pytest.raises(OfferError, match="cannot be empty"):
        actions.save_draft(
            offer=offer,
            values={"number": "7", "effective_from": clock.today(), "text_ru": "  "},
        )
    past, _ = actions.save_draft(
        offer=None,
        values={
            "number": "8",
            "effective_from": clock.today() - dt.timedelta(days=1),
            "text_ru": "Вчерашняя.",
        },
    )
    with pytest.raises(OfferError, match="in the past"):
        actions.publish(offer=past)
    actions.publish(offer=offer)
    with pytest.raises(OfferError, match="never changed"):
        actions.save_draft(
            offer=offer,
            values={"number": "7", "effective_from": clock.today(), "text_ru": "Правка."},
        )
    with pytest.raises(OfferError, match="published already"):
        actions.publish(offer=offer)
    offer.refresh_from_db()
    assert offer.text_ru == "Текст." and offer.is_published


def test_contracts_of_many_accounts_agree_with_contract_of_each(account_factory):
    """The billing run's batch read (contracts_of) and the single read (contract_of) name the
    same version: the last one each account accepted, else the one in force."""
    first = published("1", clock.today() - dt.timedelta(days=30))
    accepted_once, accepted_twice, never = account_factory(), account_factory(), account_factory()

    def accept(account, offer):
        actions.accept(
            billing_account=account,
            offer_id=offer.pk,
            ip_address=None,
            user_agent="",
            order_token=None,
        )

    with clock.travel(clock.now() - dt.timedelta(days=20)):
        accept(accepted_once, first)
        accept(accepted_twice, first)
    second = published("2", clock.today() - dt.timedelta(days=10))
    accept(accepted_twice, second)
    third = published("3", clock.today())
    ids = [accepted_once.pk, accepted_twice.pk, never.pk]

    found = queries.contracts_of(ids, clock.today())

    assert found == {pk: queries.contract_of(pk, clock.today()) for pk in ids}
    assert [found[pk] for pk in ids] == [first, second, third]
