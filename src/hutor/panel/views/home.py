from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hutor.accounts.models import BillingAccount
from hutor.invoices import queries as invoice_queries
from hutor.ledger import queries as ledger_queries
from hutor.payments.models import PaymentMethod
from hutor.services.models import Service, ServiceStatus

SERVICE_FIELDS = (
    "status",
    "identifier",
    "paid_until",
    "tariff__name_ru",
    "tariff__name_en",
    "service_type__name_ru",
    "service_type__name_en",
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The four blocks of S3: number, balance, account information, quick navigation; above
    them, what is owed when an invoice is unpaid.

    A fixed number of queries, whatever the account's history, none of them over postings: the
    total credited is the ledger's cached figure (a test holds it to that)."""
    account = ledger_queries.with_balance_and_credited(
        BillingAccount.objects.filter(user_id=request.user.pk or 0)
    ).first()
    if account is None:  # a staff login: nothing to show but the way to the administration
        return render(request, "panel/home.html", {"account": None})
    services = list(
        Service.objects.filter(
            billing_account=account,
            status__in=[ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED, ServiceStatus.PENDING],
        )
        .select_related("tariff", "service_type")
        # What the page shows, no more: each column read is a conversion saved.
        .only(*SERVICE_FIELDS)
        .order_by("paid_until", "id")
    )
    balance, credited = ledger_queries.balance_and_credited(account)
    return render(
        request,
        "panel/home.html",
        {
            "account": account,
            "balance": balance,
            # The "unpaid" block: open invoices, the amount due, the nearest due date (one query).
            "owed": invoice_queries.owed(account, balance),
            "total_credited": credited,
            "services": services,
            "methods": PaymentMethod.objects.filter(
                is_enabled=True, currency=account.currency
            ).only("id", "name_ru", "name_en"),
        },
    )
