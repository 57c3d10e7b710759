"""The desk's reconciliation statement of an account, in the customer's language, as they
would get it from the panel (every desk role reads it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from hutor.backoffice import roles
from hutor.backoffice.views.common import account_or_404, render_desk
from hutor.documents import views as reconciliation_views


@roles.require_role("support")
def reconciliation(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)

    def page(context: dict[str, Any], status: int) -> HttpResponse:
        return render_desk(request, "backoffice/reconciliation.html", context, status=status)

    return reconciliation_views.respond(request, account, language=account.language, page=page)
