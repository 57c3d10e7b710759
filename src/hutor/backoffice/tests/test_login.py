"""The staff login: password, then the authenticator's code (set up at the first login);
failed attempts throttled by django-axes; short desk sessions; customers' login untouched."""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from hutor.backoffice.auth import DESK_SESSION, PENDING_SESSION, SETUP_SECRET_SESSION
from hutor.backoffice.models import Role
from hutor.backoffice.tests.conftest import PASSWORD, desk_session, stored_secret, totp

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def password_step(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("desk:login"), {"email": email, "password": password}, **extra)


def test_totp_helper_matches_the_rfc_6238_test_vector():
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, at=59, digits=8) == "94287082"
    assert totp(secret, at=1111111109, digits=8) == "07081804"


def test_password_then_code_opens_the_desk(staff_factory):
    user = staff_factory(Role.SUPPORT)
    client = Client()
    first = client.get(reverse("desk:home"))
    assert first.status_code == 302 and first["Location"].startswith(reverse("desk:login"))

    response = password_step(client, user.email.upper())
    assert response.status_code == 302 and response["Location"] == reverse("desk:login_code")
    assert "_auth_user_id" not in client.session  # not logged in on the password alone
    assert client.get(reverse("desk:home")).status_code == 302

    response = client.post(reverse("desk:login_code"), {"code": totp(stored_secret(user))})
    assert response.status_code == 302 and response["Location"] == reverse("desk:home")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[DESK_SESSION]["user"] == user.pk
    assert client.get(reverse("desk:home")).status_code == 200
    # A used code cannot be replayed.
    other = Client()
    password_step(other, user.email)
    replay = other.post(reverse("desk:login_code"), {"code": totp(stored_secret(user))}, **EN)
    assert replay.status_code == 200 and "wrong or was already used" in replay.content.decode()


def test_the_next_page_is_kept_through_both_steps(staff_factory, world):
    user = staff_factory(Role.SUPPORT)
    client = Client()
    target = reverse("desk:account", args=[world.account.number])
    response = client.get(target)
    assert response["Location"] == reverse("desk:login") + "?next=" + target
    response = client.post(
        reverse("desk:login") + "?next=" + target, {"email": user.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("desk:login_code") + "?next=" + target
    response = client.post(response["Location"], {"code": totp(stored_secret(user))})
    assert response["Location"] == target
    # Somewhere else is not followed.
    evil = Client()
    response = evil.post(
        reverse("desk:login") + "?next=https://evil.example/",
        {"email": user.email, "password": PASSWORD},
    )
    assert response["Location"] == reverse("desk:login_code")


def test_a_staff_member_without_an_authenticator_must_set_one_up(staff_factory):
    user = staff_factory(Role.SALES, with_totp=False)
    client = Client()
    response = password_step(client, user.email)
    assert response["Location"] == reverse("desk:login_setup")
    # The desk stays closed, and the code step sends back to the setup.
    assert client.get(reverse("desk:home")).status_code == 302
    assert client.get(reverse("desk:login_code"))["Location"] == reverse("desk:login_setup")
    page = client.get(reverse("desk:login_setup"), **EN)
    secret = client.session[SETUP_SECRET_SESSION]
    html = page.content.decode()
    assert secret in html and "data:image/svg+xml" in html
    wrong = client.post(reverse("desk:login_setup"), {"code": "000000"}, **EN)
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=user).exists()
    response = client.post(reverse("desk:login_setup"), {"code": totp(secret)})
    assert response["Location"] == reverse("desk:home")
    assert stored_secret(user) == secret
    assert client.get(reverse("desk:home")).status_code == 200
    assert SETUP_SECRET_SESSION not in client.session


def test_the_code_that_completes_the_setup_cannot_log_in_again(staff_factory):
    """Regression test for finding 9 (RFC 6238 section 5.2): the code typed to finish setting
    the app up counts as used, like a login code; it cannot open a second login in its 30 s."""
    user = staff_factory(Role.SALES, with_totp=False)
    # The start of a 30-second step, so that the whole test stays inside it.
    start = (int(time.time()) // 30 + 1) * 30 + 1
    with time_machine.travel(start, tick=False):
        client = Client()
        password_step(client, user.email)
        client.get(reverse("desk:login_setup"))
        secret = client.session[SETUP_SECRET_SESSION]
        code = totp(secret)
        response = client.post(reverse("desk:login_setup"), {"code": code})
        assert response["Location"] == reverse("desk:home")
        client.post(reverse("desk:logout"))

        again = Client()
        assert password_step(again, user.email)["Location"] == reverse("desk:login_code")
        replay = again.post(reverse("desk:login_code"), {"code": code}, **EN)
        assert replay.status_code == 200
        assert "wrong or was already used" in replay.content.decode()
        assert "_auth_user_id" not in again.session
        assert again.get(reverse("desk:home")).status_code == 302
    with time_machine.travel(start + 30, tick=False):
        following = again.post(reverse("desk:login_code"), {"code": totp(secret)})
        assert following["Location"] == reverse("desk:home")
        assert again.get(reverse("desk:home")).status_code == 200


def test_wrong_password_and_customers_get_the_same_refusal(staff_factory, account_factory):
    staff = staff_factory(Role.ADMIN)
    customer = account_factory(email="ivan@example.com", password=PASSWORD, notify=False)
    for email, password in ((staff.email, "wrong-password"), (customer.contact_email, PASSWORD)):
        client = Client()
        response = password_step(client, email, password, **EN)
        assert response.status_code == 200
        assert "The email or the password is wrong" in response.content.decode()
        assert PENDING_SESSION not in client.session


def test_failed_logins_lock_the_email_and_address_out(staff_factory, settings):
    user = staff_factory(Role.SUPPORT)
    other = staff_factory(Role.SUPPORT)
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert password_step(client, user.email, "wrong").status_code == 200
    locked = password_step(client, user.email, "wrong", **EN)
    assert locked.status_code == 429 and "Too many failed attempts" in locked.content.decode()
    # Even the right password is refused until the cool-off ends...
    assert password_step(client, user.email).status_code == 429
    assert password_step(client, user.email.upper()).status_code == 429
    # ... for this email from this address only.
    assert password_step(client, other.email)["Location"] == reverse("desk:login_code")
    assert AccessAttempt.objects.filter(username=user.email).exists()


def test_wrong_codes_count_as_failed_logins(staff_factory, settings):
    user = staff_factory(Role.SUPPORT)
    client = Client()
    password_step(client, user.email)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("desk:login_code"), {"code": "000000"}).status_code == 200
    assert client.post(reverse("desk:login_code"), {"code": "000000"}).status_code == 429
    right = client.post(reverse("desk:login_code"), {"code": totp(stored_secret(user))})
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_the_password_step_expires(staff_factory):
    user = staff_factory(Role.SUPPORT)
    client = Client()
    password_step(client, user.email)
    session = client.session
    session[PENDING_SESSION] = {**session[PENDING_SESSION], "at": time.time() - 301}
    session.save()
    response = client.post(reverse("desk:login_code"), {"code": totp(stored_secret(user))})
    assert response["Location"] == reverse("desk:login")
    assert "_auth_user_id" not in client.session


def test_customer_logins_are_not_throttled_by_axes(account_factory):
    account_factory(email="ivan@example.com", password=PASSWORD, notify=False)
    client = Client()
    for _attempt in range(4):
        response = client.post(
            reverse("panel:login"), {"login": "ivan@example.com", "password": "wrong"}
        )
        assert response.status_code == 200
    response = client.post(
        reverse("panel:login"), {"login": "ivan@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("panel:home")
    assert not AccessAttempt.objects.exists()
    # The test client's login() (no request) still works with axes' backend first.
    assert Client().login(email="ivan@example.com", password=PASSWORD)


@pytest.mark.parametrize(
    ("field", "age", "message"),
    [
        ("at", 4 * 3600 + 1, "hours after logging in"),
        ("seen", 30 * 60 + 1, "without activity"),
    ],
)
def test_desk_sessions_are_short(staff_factory, field, age, message):
    user = staff_factory(Role.SUPPORT)
    client = desk_session(Client(), user)
    assert client.get(reverse("desk:home")).status_code == 200
    session = client.session
    state = dict(session[DESK_SESSION])
    state[field] = time.time() - age
    if field == "at":
        state["seen"] = time.time()
    session[DESK_SESSION] = state
    session.save()
    response = client.get(reverse("desk:home"), **EN)
    assert response.status_code == 302 and response["Location"].startswith(reverse("desk:login"))
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"], **EN).content.decode()
    assert message in page


def test_logout_ends_the_desk_session(staff_factory):
    client = desk_session(Client(), staff_factory(Role.SUPPORT))
    assert client.get(reverse("desk:logout")).status_code == 405
    assert client.post(reverse("desk:logout"))["Location"] == reverse("desk:login")
    assert client.get(reverse("desk:home")).status_code == 302
