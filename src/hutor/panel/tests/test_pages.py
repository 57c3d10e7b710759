import re
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from hutor.accounts.models import BillingAccount
from hutor.catalog.models import ServiceType
from hutor.core import clock
from hutor.demo import data
from hutor.offers.models import Offer

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"  # thousands separator of the money filter in Russian
NBSP = "\u00a0"


@pytest.fixture
def demo(db):
    call_command("demo", stdout=StringIO())
    return BillingAccount.objects.get(user__email=data.CUSTOMER_EMAIL)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_storefront_is_russian_by_default_and_shows_every_service_type(client, demo):
    html = page(client.get(reverse("panel:storefront")))
    assert '<html lang="ru">' in html
    for service_type in ServiceType.objects.all():
        assert service_type.name_ru in html
    assert "Хостинг" in html and "Старт" in html
    assert f"199,00{NBSP}₽" in html  # Start, one month
    assert f"1{NNBSP}908,00{NBSP}₽" in html  # Start, twelve months
    assert f"+ 300,00{NBSP}₽ за подключение" in html  # VPS-1 setup fee, one month only
    assert "в год" in html  # domains and certificates are priced per year
    assert "12 месяцев" in html and "2 года" in html
    assert reverse("panel:login") in html  # the call to log in


def test_storefront_in_english_by_accept_language(client, demo):
    html = page(client.get(reverse("panel:storefront"), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in html
    for service_type in ServiceType.objects.all():
        assert service_type.name_en in html
    assert "Web hosting" in html and "Start" in html
    assert "₽199.00" in html and "₽1,908.00" in html
    assert "per year" in html and "12 months" in html and "2 years" in html
    assert "Log in to the billing panel" in html


def test_language_switch_posts_to_set_language(client, demo):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    html = page(client.get("/"))
    assert "Web hosting" in html and "Хостинг" not in html
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert "Хостинг" in page(client.get("/"))


def test_storefront_queries_do_not_grow_with_the_catalog(
    client, demo, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        page(client.get(reverse("panel:storefront")))


def test_an_empty_catalog_says_so(client, db):
    html = page(client.get(reverse("panel:storefront")))
    assert "Каталог пуст" in html


def test_home_redirects_anonymous_visitors_to_login(client, db):
    response = client.get(reverse("panel:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('panel:login')}?next={reverse('panel:home')}"


def test_demo_customer_logs_in_and_sees_number_and_balance(client, demo):
    response = client.post(
        reverse("panel:login"),
        {"login": " Demo@Hutor.local ", "password": data.CUSTOMER_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("panel:home")
    html = page(client.get(reverse("panel:home")))
    assert demo.number in html
    assert 'id="account-number"' in html and "data-copy-target" in html
    assert f"1{NNBSP}500,00{NBSP}₽" in html  # balance and total of credited payments
    assert html.count(f"1{NNBSP}500,00") == 2
    assert "Номер биллинг-аккаунта" in html

    html_en = page(client.get(reverse("panel:home"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Billing account number" in html_en and "₽1,500.00" in html_en


def test_wrong_password_is_refused_with_a_message(client, demo):
    html = page(
        client.post(reverse("panel:login"), {"login": data.CUSTOMER_EMAIL, "password": "x"})
    )
    assert "Неверный адрес электронной почты или пароль" in html
    assert "_auth_user_id" not in client.session


def test_staff_without_a_billing_account_gets_an_honest_home(client, demo):
    client.post(
        reverse("panel:login"),
        {"login": data.ADMIN_EMAIL, "password": data.DEFAULT_ADMIN_PASSWORD},
    )
    html = page(client.get(reverse("panel:home")))
    assert "У этого входа нет биллинг-аккаунта" in html
    assert reverse("admin:index") in html


def test_logout_is_a_post_and_returns_to_the_storefront(client, demo):
    client.force_login(demo.user)
    response = client.post(reverse("panel:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("panel:storefront")
    assert client.get(reverse("panel:home")).status_code == 302


def test_referenced_static_files_exist_and_are_served(client, demo):
    client.force_login(demo.user)
    html = page(client.get(reverse("panel:home")))
    urls = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))
    assert {"/static/hutor/hutor.css", "/static/hutor/hutor.js"} <= urls
    for url in urls:
        assert finders.find(url.removeprefix("/static/")), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content), url
    assert not re.search(r'(?:href|src)="(?:https?:)?//', html)  # nothing from another host


def test_the_public_offer_on_the_order_form_is_a_link_to_the_providers_text(client, demo):
    """Issue 12, item 8: «публичную оферту» was plain text. Issue 17, item 5: the link names
    the version in force, the one the order records as accepted."""
    order = page(client.get("/order/hosting/start/"))
    today = clock.today().strftime("%d.%m.%Y")
    assert (
        f'Я принимаю <a href="/offer/1/" target="_blank" rel="noopener">публичную оферту № 1 от '
        f"{today}</a>"
    ) in order
    offer = page(client.get("/offer/"))
    assert "Публичная оферта о заключении договора" in offer
    assert "7714680234" in offer  # the provider's INN beside it

    english = page(client.get("/offer/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Public offer to conclude a contract" in english
    assert "the contract is the Russian text" in english

    Offer.objects.all().delete()
    assert "не опубликовал здесь текст оферты" in page(client.get("/offer/"))
    order = page(client.get("/order/hosting/start/"))
    assert 'Я принимаю <a href="/offer/" target="_blank" rel="noopener">публичную оферту</a>' in (
        order
    )


def test_pages_without_an_icon_link_find_the_favicon(client, db):
    """Issue 12, item 10: print pages (no <link rel="icon">) made browsers ask for a missing
    /favicon.ico."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/hutor/favicon.svg"
    assert finders.find("hutor/favicon.svg")
