"""The token pages over HTTP: the desk's for administrators (audited, secret shown once), the
panel's for a customer's own tokens."""

import re

import pytest
from django.test import Client

from hutor.api.models import ApiToken
from hutor.backoffice.models import AuditEntry, Role
from hutor.conftest import open_desk_session

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


def secret_in(html: str) -> str:
    match = re.search(r"htr_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", html)
    assert match, "the page shows the new token"
    return match.group(0)


def test_an_administrator_makes_lists_and_revokes_a_staff_token(make_staff, world):
    admin = make_staff(Role.ADMIN)
    desk = open_desk_session(Client(), admin)
    page = desk.get("/desk/api-tokens/")
    assert page.status_code == 200
    made = desk.post(
        "/desk/api-tokens/",
        {
            "name": "CRM",
            "role": Role.SALES,
            "scopes": ["service.suspend", "order.place"],
            "expires_days": "30",
            "reason": "CRM integration",
        },
    )
    assert made.status_code == 201, made.content.decode()[:2000]
    secret = secret_in(made.content.decode())
    token = ApiToken.objects.get(name="CRM")
    assert token.secret_hash != secret and secret not in str(token.__dict__)
    assert token.scopes == ["order.place", "service.suspend"] and token.expires_at is not None
    entry = AuditEntry.objects.get(action="api_token.create")
    assert entry.staff == admin and entry.reason == "CRM integration"
    # Listed without its secret.
    listed = desk.get("/desk/api-tokens/").content.decode()
    assert "CRM" in listed and secret not in listed and f"htr_{token.prefix}_" in listed
    # The token works, with its scopes.
    auth = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "k1"}
    client = Client()
    assert client.get(f"/api/v1/accounts/{world.account.number}", headers=auth).status_code == 200
    # Revoked with a reason, audited; the token stops at once.
    assert desk.post(f"/desk/api-tokens/{token.pk}/revoke/", {"reason": ""}).status_code == 200
    done = desk.post(f"/desk/api-tokens/{token.pk}/revoke/", {"reason": "Contract ended"})
    assert done.status_code == 302
    assert AuditEntry.objects.get(action="api_token.revoke").reason == "Contract ended"
    assert client.get(f"/api/v1/accounts/{world.account.number}", headers=auth).status_code == 401


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.SALES, Role.ACCOUNTANT])
def test_only_administrators_reach_the_desk_token_page(role, make_staff):
    desk = open_desk_session(Client(), make_staff(role))
    assert desk.get("/desk/api-tokens/").status_code == 403
    made = desk.post("/desk/api-tokens/", {"name": "x", "role": Role.ADMIN, "reason": "x"})
    assert made.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_customer_makes_and_revokes_own_tokens_in_the_panel(account_factory, world):
    owner = account_factory(password=PASSWORD)
    panel = Client()
    panel.force_login(owner.user)
    profile = panel.get("/panel/profile/").content.decode()
    assert "/panel/api-tokens/" in profile
    made = panel.post("/panel/api-tokens/", {"name": "Telegram bot"})
    assert made.status_code == 201
    secret = secret_in(made.content.decode())
    auth = {"Authorization": f"Bearer {secret}"}
    api = Client()
    assert api.get(f"/api/v1/accounts/{owner.number}", headers=auth).status_code == 200
    assert api.get(f"/api/v1/accounts/{world.account.number}", headers=auth).status_code == 404
    token = ApiToken.objects.get(billing_account=owner)
    # Another customer cannot revoke it.
    intruder = Client()
    intruder.force_login(world.account.user)
    intruder.post(f"/panel/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is None
    panel.post(f"/panel/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api.get(f"/api/v1/accounts/{owner.number}", headers=auth).status_code == 401
    # Not logged in: the login page, no token made.
    assert Client().get("/panel/api-tokens/").status_code == 302
