"""Customer authentication over HTTP: login and logout, session lifetime, throttling, password
reset through the outbox, and the authenticator app (TOTP) as a second factor.

Assertions on wording are made in English (Accept-Language: en), so they hold whatever the
Russian translation says.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import struct
import time
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hutor.accounts.models import BillingAccount
from hutor.notifications.models import OutboxEmail
from hutor.panel.emails import PASSWORD_RESET, PRERENDERED

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PASSWORD = "correct-horse-battery"
# Near the real time: a session saved while travelling must not have expired when the test reads
# it back outside the travel.
START = dt.datetime.now(dt.UTC).replace(microsecond=0)


def totp(secret: str, at: float | None = None, *, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (TOTP with HMAC-SHA1), written here independently of allauth's implementation."""
    key = base64.b32decode(secret, casefold=True)
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{value:0{digits}d}"


def test_totp_helper_matches_the_rfc_6238_test_vector():
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, at=59, digits=8) == "94287082"
    assert totp(secret, at=1111111109, digits=8) == "07081804"


@pytest.fixture
def customer(account_factory):
    """A customer as ordering makes one, with a password set; no allauth EmailAddress rows."""
    account = account_factory(email="ivan@example.com", password=PASSWORD, notify=False)
    assert not EmailAddress.objects.exists()
    return account.user


def log_in(client: Client, email: str, password: str, **extra):
    return client.post(reverse("panel:login"), {"login": email, "password": password}, **extra)


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def deliver() -> None:
    """What the worker does: deliver the queued emails into django.core.mail.outbox."""
    call_command("worker", "--once", stdout=StringIO())


# --- Login and logout -------------------------------------------------------------------------


def test_login_page_is_hutors_page_with_the_reset_link_and_no_signup(client):
    assert reverse("panel:login") == reverse("account_login") == "/login/"
    assert reverse("panel:logout") == reverse("account_logout") == "/logout/"
    html = client.get(reverse("panel:login"), **EN).content.decode()
    assert 'class="site-header"' in html and 'class="auth-card"' in html
    assert "Log in to the billing panel" in html
    assert 'name="login"' in html and 'type="email"' in html and 'name="password"' in html
    assert reverse("account_reset_password") in html
    assert "signup" not in html.lower()
    assert client.get("/signup/").status_code == 404


def test_login_by_email_starts_a_new_session(client, customer):
    before = client.session.session_key  # the anonymous visitor's session
    response = log_in(client, "  Ivan@Example.COM ", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("panel:home")
    assert logged_in_user_id(client) == str(customer.pk)
    after = client.session.session_key
    assert after != before
    assert not SessionStore().exists(before)  # the old key cannot be replayed (fixation)
    assert not EmailAddress.objects.filter(verified=True).exists()


def test_login_keeps_the_next_page(client, customer):
    response = client.post(
        reverse("panel:login") + "?next=" + reverse("mfa_index"),
        {"login": customer.email, "password": PASSWORD},
    )
    assert response["Location"] == reverse("mfa_index")


def test_wrong_password_is_refused_with_a_message(client, customer):
    response = log_in(client, customer.email, "not-the-password", **EN)
    assert response.status_code == 200
    assert "The email or the password is wrong" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_logout_happens_only_on_post(client, customer):
    client.force_login(customer)
    page = client.get(reverse("panel:logout"), **EN)
    assert page.status_code == 200 and "Log out of the billing panel" in page.content.decode()
    assert logged_in_user_id(client) == str(customer.pk)

    response = client.post(reverse("panel:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("panel:storefront")
    assert logged_in_user_id(client) is None
    assert client.get(reverse("panel:home"))["Location"].startswith(reverse("panel:login"))


def test_a_disabled_login_is_told_so(client, customer):
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    response = log_in(client, customer.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("account_inactive")
    html = client.get(response["Location"], **EN).content.decode()
    assert 'class="auth-card"' in html and "This login is disabled" in html
    assert logged_in_user_id(client) is None


def test_the_header_links_to_security_when_logged_in(client, customer):
    assert reverse("mfa_index") not in client.get("/").content.decode()
    client.force_login(customer)
    html = client.get("/", **EN).content.decode()
    assert f'href="{reverse("mfa_index")}"' in html and "Security" in html


def test_an_ordered_account_logs_in_after_the_activation_link(client, account_factory):
    """The activation email of a new billing account (panel:activate) sets the first password;
    allauth's login accepts it, with no EmailAddress row."""
    account = account_factory(email="new@example.com")
    deliver()
    (message,) = [m for m in mail.outbox if m.to == ["new@example.com"]]
    link = re.search(r"https?://\S+/activate/\S+/", message.body).group(0)
    page = client.get(link.removeprefix(settings.HUTOR_BASE_URL), follow=True)
    assert page.status_code == 200
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("panel:home")
    assert logged_in_user_id(client) == str(account.user.pk)

    client.post(reverse("panel:logout"))
    assert log_in(client, "new@example.com", PASSWORD)["Location"] == reverse("panel:home")
    assert not EmailAddress.objects.exists()


# --- Session lifetime -------------------------------------------------------------------------


def test_idle_session_ends_after_the_idle_timeout(client, customer):
    assert settings.HUTOR_SESSION_IDLE_MINUTES == 30
    with time_machine.travel(START, tick=False) as traveller:
        log_in(client, customer.email, PASSWORD)
        for _ in range(4):  # activity keeps the login alive past 30 minutes in all
            traveller.shift(dt.timedelta(minutes=29))
            assert client.get(reverse("panel:home")).status_code == 200
        traveller.shift(dt.timedelta(minutes=30))
        response = client.get(reverse("panel:home"), **EN)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('panel:login')}?next={reverse('panel:home')}"
    assert logged_in_user_id(client) is None
    html = client.get(response["Location"], **EN).content.decode()
    assert "logged out after 30 minutes without activity" in html


def test_session_ends_after_the_absolute_timeout_despite_activity(client, customer):
    assert settings.HUTOR_SESSION_ABSOLUTE_HOURS == 12
    with time_machine.travel(START, tick=False) as traveller:
        log_in(client, customer.email, PASSWORD)
        for _ in range(28):  # 11 h 40 min of steady activity
            traveller.shift(dt.timedelta(minutes=25))
            assert client.get(reverse("panel:home")).status_code == 200
        traveller.shift(dt.timedelta(minutes=20))
        response = client.get(reverse("panel:home"), **EN)
    assert response.status_code == 302
    assert logged_in_user_id(client) is None
    html = client.get(response["Location"], **EN).content.decode()
    assert "logged out 12 hours after logging in" in html


def test_timeouts_are_settings(client, customer, settings):
    settings.HUTOR_SESSION_IDLE_MINUTES = 5
    with time_machine.travel(START, tick=False) as traveller:
        log_in(client, customer.email, PASSWORD)
        traveller.shift(dt.timedelta(minutes=6))
        assert client.get(reverse("panel:home")).status_code == 302
    assert logged_in_user_id(client) is None


# --- Throttling -------------------------------------------------------------------------------


def test_failed_logins_are_throttled_per_email_even_with_the_right_password(
    client, customer, account_factory
):
    other = account_factory(email="other@example.com", password=PASSWORD, notify=False)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            assert log_in(client, customer.email, "guess", **EN).status_code == 200
        refused = log_in(client, customer.email, PASSWORD, **EN)
        assert refused.status_code == 200
        assert "Too many failed attempts to log in with this email" in refused.content.decode()
        assert logged_in_user_id(client) is None

        # Another login from the same address is not locked out by someone else's failures.
        assert log_in(Client(), other.user.email, PASSWORD).status_code == 302

        traveller.shift(dt.timedelta(minutes=16))
        assert log_in(client, customer.email, PASSWORD).status_code == 302
    assert logged_in_user_id(client) == str(customer.pk)


# --- Password reset ---------------------------------------------------------------------------


def test_password_reset_is_queued_in_the_outbox_and_its_link_sets_a_new_password(client, customer):
    response = client.post(reverse("account_reset_password"), {"email": "IVAN@example.com"}, **EN)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert mail.outbox == []  # nothing is sent inside the request
    queued = OutboxEmail.objects.get(template=PASSWORD_RESET)
    assert queued.to_email == "ivan@example.com" and queued.language == "en"
    assert queued.params == {"user_id": customer.pk}  # no token stored
    assert queued.billing_account == customer.billing_account

    deliver()
    (message,) = mail.outbox
    assert message.to == ["ivan@example.com"]
    assert message.subject == "Resetting the password of your billing panel"
    url = re.search(r"https?://\S+", message.body).group(0)
    assert url.startswith(settings.HUTOR_BASE_URL + "/password/reset/key/")
    assert url in message.alternatives[0][0]  # the HTML part carries the same link
    path = url.removeprefix(settings.HUTOR_BASE_URL)

    form = client.get(path, follow=True, **EN)  # allauth moves the key into the session
    assert form.status_code == 200 and 'name="password1"' in form.content.decode()
    new_password = "a-brand-new-password"
    done = client.post(
        form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}, **EN
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("account_reset_password_from_key_done")

    assert log_in(Client(), customer.email, PASSWORD).status_code == 200
    assert log_in(Client(), customer.email, new_password)["Location"] == reverse("panel:home")
    # The link works once.
    again = Client().get(path, follow=True, **EN)
    assert "This link no longer works" in again.content.decode()

    # The owner is told the password changed, through the outbox too.
    notice = OutboxEmail.objects.get(template=PRERENDERED)
    assert notice.to_email == "ivan@example.com" and notice.language == "en"
    deliver()
    notice.refresh_from_db()
    assert mail.outbox[-1].subject == notice.subject != ""
    assert "Your password has been reset" in mail.outbox[-1].body
    assert not EmailAddress.objects.exists()  # the login's email lives in one place


def reset_password(email: str, new_password: str) -> None:
    Client().post(reverse("account_reset_password"), {"email": email})
    deliver()
    url = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    browser = Client()
    form = browser.get(url.removeprefix(settings.HUTOR_BASE_URL), follow=True)
    browser.post(form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})


def test_a_password_reset_lifts_the_failed_login_throttle(client, customer):
    for _ in range(5):
        log_in(client, customer.email, "guess")
    assert log_in(client, customer.email, PASSWORD).status_code == 200  # throttled
    reset_password(customer.email, "a-brand-new-password")
    response = log_in(client, customer.email, "a-brand-new-password")
    assert response.status_code == 302 and response["Location"] == reverse("panel:home")


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert not OutboxEmail.objects.exists()


def test_password_reset_pages_are_hutors(client, db):
    for name in ("account_reset_password", "account_reset_password_done"):
        html = client.get(reverse(name), **EN).content.decode()
        assert 'class="auth-card"' in html and 'class="site-header"' in html


# --- The authenticator app (TOTP) -------------------------------------------------------------


def turn_on_totp(client: Client) -> str:
    """Turn the authenticator app on through the Security page; returns the secret."""
    security = client.get(reverse("mfa_index"), **EN).content.decode()
    assert reverse("mfa_activate_totp") in security and 'data-testid="totp-status">Off<' in security
    # Changing the second factor asks for the password again, whatever the login's age.
    confirm = client.get(reverse("mfa_activate_totp"), **EN)
    assert confirm.status_code == 302
    assert confirm["Location"].startswith(reverse("account_reauthenticate"))
    html = client.get(confirm["Location"], **EN).content.decode()
    assert 'class="auth-card"' in html and "Confirm it is you" in html
    response = client.post(confirm["Location"], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"), **EN)
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for typing into the app
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"}, **EN)
    if totp(secret) != "000000":
        assert "Incorrect code" in wrong.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    return secret


def stored_secret(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def test_totp_turned_on_makes_login_ask_for_the_code(client, customer):
    with time_machine.travel(START, tick=False) as traveller:
        log_in(client, customer.email, PASSWORD)
        secret = turn_on_totp(client)
        assert stored_secret(customer) == secret
        assert (
            'data-testid="totp-status">On<'
            in client.get(reverse("mfa_index"), **EN).content.decode()
        )
        client.post(reverse("panel:logout"))

        traveller.shift(dt.timedelta(seconds=30))  # a fresh code, unused at activation
        browser = Client()
        before = browser.session.session_key
        response = log_in(browser, customer.email, PASSWORD)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
        assert logged_in_user_id(browser) is None  # the password alone does not log in
        assert browser.get(reverse("panel:home")).status_code == 302

        page = browser.get(reverse("mfa_authenticate"), **EN).content.decode()
        assert 'class="auth-card"' in page and 'name="code"' in page
        wrong = "111111" if totp(stored_secret(customer)) != "111111" else "222222"
        refused = browser.post(reverse("mfa_authenticate"), {"code": wrong}, **EN)
        assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
        assert logged_in_user_id(browser) is None

        code = totp(stored_secret(customer))
        response = browser.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302 and response["Location"] == reverse("panel:home")
        assert logged_in_user_id(browser) == str(customer.pk)
        assert browser.session.session_key != before

        # The same code cannot be replayed by someone who saw it.
        thief = Client()
        log_in(thief, customer.email, PASSWORD)
        replay = thief.post(reverse("mfa_authenticate"), {"code": code}, **EN)
        assert replay.status_code == 200 and logged_in_user_id(thief) is None


def test_a_recovery_code_logs_in_once_when_the_app_is_lost(client, customer):
    log_in(client, customer.email, PASSWORD)
    turn_on_totp(client)
    codes = client.get(reverse("mfa_view_recovery_codes"), **EN)
    recovery = Authenticator.objects.get(user=customer, type=Authenticator.Type.RECOVERY_CODES)
    first = recovery.wrap().get_unused_codes()[0]
    assert first in codes.content.decode()
    client.post(reverse("panel:logout"))

    log_in(client, customer.email, PASSWORD)
    response = client.post(reverse("mfa_authenticate"), {"code": first})
    assert response["Location"] == reverse("panel:home")
    client.post(reverse("panel:logout"))
    log_in(client, customer.email, PASSWORD)
    assert client.post(reverse("mfa_authenticate"), {"code": first}).status_code == 200


def test_totp_can_be_turned_off(client, customer, django_capture_on_commit_callbacks):
    log_in(client, customer.email, PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):  # allauth notifies after commit
        turn_on_totp(client)
    page = client.get(reverse("mfa_deactivate_totp"), **EN)
    assert page.status_code == 200 and "Turn off the authenticator app" in page.content.decode()
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response["Location"] == reverse("mfa_index")
    assert not Authenticator.objects.filter(user=customer, type=Authenticator.Type.TOTP).exists()
    # The owner is told of both changes, through the outbox and not inside the request.
    assert mail.outbox == []
    assert OutboxEmail.objects.filter(template=PRERENDERED, to_email=customer.email).count() == 2
    client.post(reverse("panel:logout"))
    assert log_in(client, customer.email, PASSWORD)["Location"] == reverse("panel:home")


def test_the_activation_link_does_not_skip_the_second_factor(client, customer):
    from hutor.accounts.emails import set_password_url

    log_in(client, customer.email, PASSWORD)
    turn_on_totp(client)
    client.post(reverse("panel:logout"))

    account = BillingAccount.objects.select_related("user").get(user=customer)  # fresh login data
    link = set_password_url(account).removeprefix(settings.HUTOR_BASE_URL)
    page = client.get(link, follow=True)
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "another-pass-2025", "new_password2": "another-pass-2025"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("panel:login")
    assert logged_in_user_id(client) is None
    assert log_in(client, customer.email, "another-pass-2025")["Location"] == reverse(
        "mfa_authenticate"
    )


def test_security_pages_need_a_login(client, db):
    for name in ("mfa_index", "mfa_activate_totp", "account_change_password"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("panel:login"))


# --- Settings ---------------------------------------------------------------------------------


def test_cache_url_selects_the_cache(monkeypatch):
    from hutor import settings as hutor_settings

    monkeypatch.delenv("CACHE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    default = hutor_settings._caches()["default"]
    assert default["BACKEND"].endswith("DatabaseCache") and default["LOCATION"] == "hutor_cache"
    monkeypatch.setenv("CACHE_URL", "locmem://")
    assert hutor_settings._caches()["default"]["BACKEND"].endswith("LocMemCache")
    monkeypatch.delenv("CACHE_URL")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    redis = hutor_settings._caches()["default"]
    assert redis["BACKEND"].endswith("RedisCache") and redis["LOCATION"].endswith("/3")
    monkeypatch.setenv("CACHE_URL", "db://auth_cache")
    assert hutor_settings._caches()["default"]["LOCATION"] == "auth_cache"
