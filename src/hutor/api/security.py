"""Who is calling and what they may do: one check for every operation.

A staff token may do exactly what its desk role may (hutor.backoffice.roles.ACTIONS, the
desk's own table; a token's `scopes`, when set, narrow it further) and read everything the
desk shows. A customer token acts on its own billing account only, and only where the panel
lets a customer act: anything else of another account answers 404, as the panel does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from hutor.api.models import ApiToken, TokenKind
from hutor.api.problems import ApiProblem
from hutor.backoffice import roles

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User

M = TypeVar("M", bound=Model)
ATTRIBUTE = "hutor_api_token"  # set on the request by idempotency.guarded (one lookup)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer htr_...`; the token was found (and counted against its rate
    limit) before the operation ran, by the wrapper around every API view."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found: ApiToken | None = getattr(request, ATTRIBUTE, None)
        return found


def token_of(request: HttpRequest) -> ApiToken:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    return token


def is_customer(request: HttpRequest) -> bool:
    return token_of(request).kind == TokenKind.CUSTOMER


def require(request: HttpRequest, code: str, *, customer_may: bool = False) -> None:
    """Refuse (403) unless the token may perform the desk action `code`. A customer token may
    only where the panel lets the customer do it (`customer_may`), on its own account (which
    the object lookups below ensure)."""
    token = token_of(request)
    if token.kind == TokenKind.CUSTOMER:
        allowed = customer_may
    else:
        allowed = roles.allows(token.role, roles.ACTIONS[code]) and (
            not token.scopes or code in token.scopes
        )
    if not allowed:
        raise ApiProblem(
            "forbidden",
            _("This token may not perform %(action)s.") % {"action": code},
        )


def staff_acting(request: HttpRequest, code: str) -> tuple[User, str]:
    """The staff member and actor of a write only staff tokens may make (the desk action
    `code`): refused (403) for any other token, as require() refuses it."""
    require(request, code)
    staff, actor = acting(request)
    assert staff is not None  # require() without customer_may passes staff tokens only
    return staff, actor


def staff_only(request: HttpRequest) -> None:
    if is_customer(request):
        raise ApiProblem("forbidden", _("Only a staff token may do this."))


def acting(request: HttpRequest) -> tuple[User | None, str]:
    """Who an audit entry names: the staff token's creator and "api:<name>", or for a
    customer token the named actor alone."""
    token = token_of(request)
    actor = f"api:{token.name}"[:64]
    if token.kind == TokenKind.STAFF:
        return token.created_by, actor
    return None, actor


def customer_audit(
    request: HttpRequest,
    action: str,
    account: BillingAccount,
    object_type: str,
    object_id: str | int,
    **changes: object,
) -> None:
    """A customer token's write, in the same audit log as the desk's (the named actor, no
    staff, reason "api"); in the caller's transaction."""
    from hutor.backoffice.audit import record

    _staff, actor = acting(request)
    record(
        staff=None,
        actor=actor,
        action=action,
        reason="api",
        billing_account=account,
        object_type=object_type,
        object_id=object_id,
        changes=changes,
    )


def visible(
    request: HttpRequest, queryset: QuerySet[M], field: str = "billing_account"
) -> QuerySet[M]:
    """The queryset as this token may see it: a customer's own rows only."""
    token = token_of(request)
    if token.kind == TokenKind.CUSTOMER:
        return queryset.filter(**{f"{field}_id": token.billing_account_id})
    return queryset


def get_visible(
    request: HttpRequest, queryset: QuerySet[M], field: str = "billing_account", **lookup: Any
) -> M:
    """One row this token may see, else 404 (another customer's object is not found)."""
    found = visible(request, queryset, field).filter(**lookup).first()
    if found is None:
        raise ApiProblem("not_found", _("Not found."))
    return found


def account(request: HttpRequest, number: str) -> BillingAccount:
    from hutor.accounts.models import BillingAccount

    token = token_of(request)
    queryset = BillingAccount.objects.select_related("user")
    if token.kind == TokenKind.CUSTOMER:
        queryset = queryset.filter(pk=token.billing_account_id or 0)
    found = queryset.filter(number=number).first()
    if found is None:
        raise ApiProblem("not_found", _("No billing account %(number)s.") % {"number": number})
    return found
