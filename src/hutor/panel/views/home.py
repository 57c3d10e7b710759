from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hutor.accounts import queries as account_queries
from hutor.invoices import queries as invoice_queries
from hutor.payments import queries as payment_queries
from hutor.services import queries as service_queries


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The four blocks of S3: number, balance, account information, quick navigation; above
    them, what is owed when an invoice is unpaid.

    A fixed number of queries, whatever the account's history, none of them over postings: the
    total credited is the ledger's cached figure (a test holds it to that). Each is a fixed
    statement of its app's queries module returning small records (no queryset compiled per
    request: docs/performance.md, "The panel home page"); every one is bound to the login's own
    billing account."""
    account = account_queries.panel_account(request.user.pk)
    if account is None:  # a staff login: nothing to show but the way to the administration
        return render(request, "panel/home.html", {"account": None})
    return render(
        request,
        "panel/home.html",
        {
            "account": account,
            "balance": account.balance,
            # The "unpaid" block: open invoices, the amount due, the nearest due date (one query).
            "owed": invoice_queries.owed(account.pk, account.currency, account.balance),
            "total_credited": account.credited,
            "services": service_queries.live_services(account.pk),
            "methods": payment_queries.method_choices(account.currency),
        },
    )
