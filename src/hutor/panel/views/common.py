"""What every page of the customer's panel shares: the logged-in customer's billing account.

Every object a panel page shows or acts on is looked up *through* this account, so another
customer's invoice, service or payment is simply not found (404), never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from hutor.accounts.models import BillingAccount
from hutor.services.models import Service


class CustomerRequest(HttpRequest):
    account: BillingAccount


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = BillingAccount.objects.filter(user_id=request.user.pk or 0).first()
        if account is None:
            raise Http404("this login has no billing account")
        request.account = account  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def customer_service(request: HttpRequest, pk: int) -> Service:
    """One of the logged-in customer's services; another account's answers 404 (IDOR)."""
    return get_object_or_404(
        Service.objects.select_related("tariff", "service_type"),
        pk=pk,
        billing_account=request.account,  # type: ignore[attr-defined]
    )
