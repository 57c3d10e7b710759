"""A staff token may do exactly what its desk role may (roles.ACTIONS, the desk's one table),
narrowed by its scopes; a customer token reaches its own account only (the panel's IDOR rule:
another account's objects are not found)."""

import pytest

from hutor.api.tests.operations import call, operations
from hutor.backoffice import roles
from hutor.backoffice.models import AuditEntry, Role

pytestmark = pytest.mark.django_db

OPENAPI_METHODS = ("get", "post", "put", "patch", "delete")


def test_the_table_covers_every_operation_of_the_openapi_document(anonymous_api, world):
    document = anonymous_api.get("/openapi.json").json()
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in document["paths"].items()
        for method in item
        if method in OPENAPI_METHODS and not path.startswith("/api/v1/catalog")
    }
    assert {op.key for op in operations(world)} == documented
    # Every write names a desk action that the desk's table knows.
    for op in operations(world):
        assert (op.code is None) == (op.method == "GET"), op
        assert op.code is None or op.code in roles.ACTIONS


@pytest.mark.parametrize("role", Role.values)
def test_a_staff_token_may_do_exactly_what_its_role_may_in_the_desk(role, world, staff_api):
    api = staff_api(role)
    for op in operations(world):
        before = AuditEntry.objects.count()
        answer = call(api, op)
        allowed = op.code is None or roles.allows(role, roles.ACTIONS[op.code])
        if allowed:
            assert answer.status_code != 403, (role, op.key, answer.content)
            assert answer.status_code < 500, (role, op.key, answer.content)
        else:
            assert answer.status_code == 403, (role, op.key, answer.status_code)
            assert answer.json()["code"] == "forbidden"
            assert AuditEntry.objects.count() == before, (role, op.key)


def test_scopes_narrow_a_token_to_some_of_its_roles_actions(world, staff_api):
    api = staff_api(Role.ADMIN, scopes=["service.suspend"])
    for op in operations(world):
        answer = call(api, op)
        if op.code in (None, "service.suspend"):
            assert answer.status_code != 403, (op.key, answer.content)
        else:
            assert answer.status_code == 403, op.key


def test_a_scope_beyond_the_role_is_refused_when_the_token_is_made(make_staff):
    from hutor.api import tokens
    from hutor.backoffice.exceptions import DeskError

    admin = make_staff(Role.ADMIN)
    with pytest.raises(DeskError):
        tokens.create_staff_token(
            staff=admin, name="x", role=Role.SUPPORT, scopes=["balance.adjust"], reason="r"
        )


def test_a_customer_token_never_reaches_another_account(world, customer_api):
    """The other customer's token, on every operation naming the world's account or its
    objects: not found (or forbidden where customers never may), and nothing changes."""
    api = customer_api(world.other)
    for op in operations(world):
        before = AuditEntry.objects.count()
        answer = call(api, op)
        assert answer.status_code in (403, 404), (op.key, answer.status_code, answer.content)
        if answer.status_code == 403:
            assert not op.customer_may or op.template == "/accounts", op.key
        assert AuditEntry.objects.count() == before
        text = answer.content.decode()
        assert "olga@example.com" not in text and "romashka" not in text, op.key


def test_a_customer_token_acts_on_its_own_account_as_the_panel_lets_it(world, customer_api):
    api = customer_api(world.account)
    for op in operations(world):
        answer = call(api, op)
        if op.staff_only or (op.code and not op.customer_may) or op.template == "/accounts":
            assert answer.status_code == 403, (op.key, answer.status_code)
        else:
            assert answer.status_code not in (403, 404), (op.key, answer.content)
            assert answer.status_code < 500, (op.key, answer.content)
    entry = AuditEntry.objects.filter(action="order.place").latest("pk")
    assert entry.staff is None and entry.actor == "api:my script"
    assert entry.billing_account == world.account


def test_revoked_expired_and_unknown_tokens_are_refused(world, staff_api, make_staff):
    import datetime as dt

    from django.utils import timezone

    from hutor.api import tokens
    from hutor.api.tests.conftest import Api

    api = staff_api(Role.SUPPORT)
    path = f"/accounts/{world.account.number}"
    assert api.get(path).status_code == 200
    token = tokens.find(api.secret)
    tokens.revoke_staff_token(staff=staff_api.admin, token=token, reason="Leaked")
    refused = api.get(path)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    assert refused["WWW-Authenticate"] == "Bearer"
    expired = staff_api(Role.SUPPORT)
    from hutor.api.models import ApiToken

    ApiToken.objects.filter(prefix=expired.secret.split("_")[1]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert expired.get(path).status_code == 401
    forged = Api(api.client, api.secret[:-2] + "xx")
    assert forged.get(path).status_code == 401
    assert Api(api.client).get(path).status_code == 401  # no token at all
    # A staff member who leaves takes their tokens' access with them.
    live = staff_api(Role.SUPPORT)
    staff_api.admin.is_active = False
    staff_api.admin.save()
    assert live.get(path).status_code == 401
