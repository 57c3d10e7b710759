"""The session and its login as every request reads them (core.sessions' fixed read of the
session row, accounts.queries.login_user's of the user): the same answers as Django's own
database sessions and ModelBackend gave, through the real pages.

An expired, tampered or deleted session is no login; a changed password logs the other
browsers out; an inactive or deleted user is logged out; staff and customers keep what they
may see.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hutor.accounts.queries import login_user
from hutor.conftest import open_desk_session
from hutor.core.sessions import SessionStore

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def customer(account_factory):
    return account_factory(email="anna@example.com", password=PASSWORD, notify=False)


def logged_in(user) -> Client:
    client = Client()
    assert client.post(reverse("panel:login"), {"login": user.email, "password": PASSWORD})[
        "Location"
    ] == reverse("panel:home")
    return client


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("panel:login"))


def test_the_engine_is_hutors_and_reads_what_djangos_reads(settings, customer):
    assert settings.SESSION_ENGINE == "hutor.core.sessions"
    client = logged_in(customer.user)
    key = client.cookies["sessionid"].value
    ours, djangos = SessionStore(key), DjangoSessionStore(key)
    assert ours.load() == djangos.load() != {}
    assert ours.load()["_auth_user_id"] == str(customer.user.pk)
    assert ours.session_key == key


def test_a_logged_in_customer_sees_the_home_page(customer):
    response = logged_in(customer.user).get(reverse("panel:home"), **EN)
    assert response.status_code == 200
    assert customer.number in response.content.decode()


def test_an_expired_session_is_no_login_and_loses_its_key(customer):
    client = logged_in(customer.user)
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(1))
    store = SessionStore(key)
    assert store.load() == {} and store.session_key is None
    assert sent_to_login(client.get(reverse("panel:home")))


def test_an_unknown_or_tampered_session_is_no_login(customer):
    client = logged_in(customer.user)
    key = client.cookies["sessionid"].value
    assert SessionStore("x" * 32).load() == {}
    session = Session.objects.get(session_key=key)
    Session.objects.filter(session_key=key).update(session_data=session.session_data[:-3] + "AAA")
    assert SessionStore(key).load() == {}
    assert sent_to_login(client.get(reverse("panel:home")))


def test_a_changed_password_logs_the_other_browsers_out(customer):
    here, elsewhere = logged_in(customer.user), logged_in(customer.user)
    new = "another-horse-staple"
    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert here.get(reverse("panel:home")).status_code == 200  # its session was given the new hash
    assert sent_to_login(elsewhere.get(reverse("panel:home")))
    assert "_auth_user_id" not in elsewhere.session


def test_an_inactive_login_is_logged_out(customer):
    client = logged_in(customer.user)
    get_user_model().objects.filter(pk=customer.user.pk).update(is_active=False)
    assert sent_to_login(client.get(reverse("panel:home")))


def test_staff_reach_the_desk_customers_do_not_and_a_deleted_login_is_out(
    client, customer, admin_user
):
    desk = reverse("desk:home")
    assert open_desk_session(client, admin_user).get(desk).status_code == 200
    assert open_desk_session(Client(), customer.user).get(desk).status_code in (302, 403)
    get_user_model().objects.filter(pk=admin_user.pk).delete()  # staff own no billing account
    assert login_user(admin_user.pk) is None
    assert client.get(desk).status_code == 302


def test_the_login_read_is_the_orms_user_field_for_field(customer, admin_user):
    for user in (customer.user, admin_user):
        expected = get_user_model().objects.get(pk=user.pk)
        read = login_user(user.pk)
        assert read is not None and type(read) is type(expected)
        assert read.__dict__.keys() == expected.__dict__.keys()
        for name, value in expected.__dict__.items():
            if name != "_state":
                assert getattr(read, name) == value, name
        assert read._state.db == expected._state.db and not read._state.adding
        assert read.get_session_auth_hash() == expected.get_session_auth_hash()
        as_text = login_user(str(user.pk))  # as a session stores it
        assert as_text is not None and as_text.pk == user.pk
