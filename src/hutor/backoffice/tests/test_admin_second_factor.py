"""The Django admin is reached only through the desk's second factor."""

import pytest

from hutor.conftest import open_desk_session

pytestmark = pytest.mark.django_db


def test_a_password_alone_does_not_open_the_admin(client, admin_user):
    client.force_login(admin_user)  # as after the password step only
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/desk/login/")
    assert "/admin/" not in [url for url, _ in response.redirect_chain[-1:]]


def test_the_admin_login_page_sends_staff_to_the_desk_login(client):
    response = client.get("/admin/login/?next=/admin/payments/payment/")
    assert response.status_code == 302
    assert response["Location"].startswith("/desk/login/?next=")


def test_a_desk_session_opens_the_admin(client, admin_user):
    open_desk_session(client, admin_user)
    assert client.get("/admin/").status_code == 200
