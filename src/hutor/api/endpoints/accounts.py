"""Billing accounts: open one (the activation email goes out as for an order), find them,
change contacts and requisites (with ETag / If-Match), and the desk's one-box search."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from hutor.accounts import actions as account_actions
from hutor.accounts.models import BillingAccount
from hutor.api import pagination, present, security
from hutor.api import schemas as s
from hutor.api.endpoints.common import PROBLEMS, WRITE_PROBLEMS, write
from hutor.api.problems import ApiProblem
from hutor.backoffice import search as desk_search
from hutor.backoffice.audit import diff, record, require_reason

router = Router(tags=["accounts"])

CONTACT_FIELDS = ("name", "phone", "address", "inn", "kpp", "language")
IF_MATCH = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string"},
            "description": "The ETag of the account as last read.",
        }
    ]
}


def etag(account: BillingAccount) -> str:
    """A strong ETag of the contacts and requisites (what PUT /contacts changes)."""
    state = {name: getattr(account, name) for name in (*CONTACT_FIELDS, "contact_email", "kind")}
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:32]
    return f'"{digest}"'


def _with_etag(response: HttpResponse, account: BillingAccount) -> HttpResponse:
    response["ETag"] = etag(account)
    return response


@write(router, "/accounts", {201: s.AccountOut}, "account_create")
def create_account(
    request: HttpRequest, response: HttpResponse, data: s.AccountIn
) -> Status[s.AccountOut]:
    """Open a billing account and its login; the activation email (a one-time link to set
    the password) is queued in the same transaction. Staff tokens (action account.open)."""
    staff, actor = security.staff_acting(request, "account.open")
    reason = require_reason(data.reason)
    with transaction.atomic():
        account = account_actions.open_billing_account(
            email=data.email,
            name=data.name,
            kind=data.kind,
            inn=data.inn,
            kpp=data.kpp,
            address=data.address,
            phone=data.phone,
            language=data.language,
        )
        record(
            staff=staff,
            actor=actor,
            action="account.open",
            reason=reason,
            billing_account=account,
            object_type="account",
            object_id=account.number,
            changes={"contact_email": account.contact_email, "kind": account.kind},
        )
    response["Location"] = f"{request.path.rstrip('/')}/{account.number}"
    response["ETag"] = etag(account)
    return Status(201, present.account(account))


class AccountFilters(Schema):
    email: str = ""
    inn: str = ""
    kind: s.Kind | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    cursor: str = ""
    limit: int = pagination.DEFAULT_LIMIT


@router.get("/accounts", response={200: s.AccountPage, **PROBLEMS}, url_name="account_list")
def list_accounts(request: HttpRequest, filters: Query[AccountFilters]) -> s.AccountPage:
    """Billing accounts, newest first, filtered by email (exact, any case), INN, kind or
    creation time. Staff tokens only."""
    security.staff_only(request)
    queryset = BillingAccount.objects.all()
    if filters.email:
        email = filters.email.strip()
        queryset = queryset.filter(Q(contact_email__iexact=email) | Q(user__email__iexact=email))
    if filters.inn:
        queryset = queryset.filter(inn=filters.inn.strip())
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.created_after:
        queryset = queryset.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        queryset = queryset.filter(created_at__lt=filters.created_before)
    rows, next_url = pagination.page(request, queryset, cursor=filters.cursor, limit=filters.limit)
    return s.AccountPage(items=[present.account(a) for a in rows], next=next_url)


@router.get("/accounts/{number}", response={200: s.AccountOut, **PROBLEMS}, url_name="account")
def get_account(request: HttpRequest, response: HttpResponse, number: str) -> s.AccountOut:
    """One billing account with its balance; its ETag for a later PUT /contacts."""
    account = security.account(request, number)
    response["ETag"] = etag(account)
    return present.account(account)


@router.put(
    "/accounts/{number}/contacts",
    response={200: s.AccountOut, 412: s.Problem, 428: s.Problem, **WRITE_PROBLEMS},
    url_name="account_contacts",
    openapi_extra=IF_MATCH,
)
def update_contacts(
    request: HttpRequest, response: HttpResponse, number: str, data: s.ContactsIn
) -> s.AccountOut:
    """Change the name, phone, address, requisites and language (the contact email changes
    through the desk or the panel, which confirm it). Needs If-Match with the ETag last read:
    412 when the account changed since, 428 without it."""
    account = security.account(request, number)
    security.require(request, "account.update", customer_may=True)
    staff, actor = security.acting(request)
    reason = require_reason(data.reason) if staff is not None else (data.reason or "api")
    expected = request.headers.get("If-Match", "").strip()
    if not expected:
        raise ApiProblem("precondition_required", _("Send If-Match with the account's ETag."))
    with transaction.atomic():
        account_actions.lock(account)
        account.refresh_from_db()
        if expected != "*" and expected.removeprefix("W/") != etag(account):
            raise ApiProblem(
                "precondition_failed",
                _("The account has changed since it was read; read it again."),
            )
        before = {name: getattr(account, name) for name in CONTACT_FIELDS}
        account = account_actions.update_profile(
            account=account, **{name: getattr(data, name) for name in CONTACT_FIELDS}
        )
        changes = diff(before, {name: getattr(account, name) for name in CONTACT_FIELDS})
        if changes:
            record(
                staff=staff,
                actor=actor,
                action="account.update",
                reason=reason,
                billing_account=account,
                object_type="account",
                object_id=account.number,
                changes=changes,
            )
    response["ETag"] = etag(account)
    return present.account(account)


def _hit(hit: desk_search.Hit) -> s.HitOut:
    return s.HitOut(
        kind=hit.kind, title=hit.title, detail=hit.detail, account=hit.account_number, url=hit.url
    )


@router.get("/search", response={200: s.SearchOut, **PROBLEMS}, url_name="search", tags=["search"])
def search(request: HttpRequest, q: str) -> s.SearchOut:
    """The desk's one search box: any number (account, invoice, payment, transaction id), an
    email, a domain or host name, an INN or a name. A mistyped account number (its check
    digit fails) finds nothing but suggests the valid numbers one typo away. Staff only."""
    security.staff_only(request)
    results = desk_search.search(q[:200])
    return s.SearchOut(
        query=results.query,
        hits=[_hit(h) for h in results.hits],
        suggestions=[_hit(h) for h in results.suggestions],
        notes=[str(n) for n in results.notes],
    )
