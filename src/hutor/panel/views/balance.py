from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hutor.ledger import queries as ledger_queries
from hutor.panel.views.common import customer_required


@customer_required
def balance_history(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    rows = ledger_queries.statement(account).reverse()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for posting in page.object_list:
        posting.credit = posting.amount if posting.amount > 0 else None
        posting.debit = -posting.amount if posting.amount < 0 else None
    return render(
        request,
        "panel/balance.html",
        {"page": page, "account": account, "balance": ledger_queries.balance(account)},
    )


@customer_required
def balance_csv(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="balance-{account.number}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the UTF-8 as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        ["date", "kind", "reference", "description", "credit", "debit", "balance", "currency"]
    )
    for posting in ledger_queries.statement(account).iterator(chunk_size=2000):
        entry = posting.entry
        writer.writerow(
            [
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                entry.kind,
                entry.reference,
                entry.memo,
                f"{posting.amount:.2f}" if posting.amount > 0 else "",
                f"{-posting.amount:.2f}" if posting.amount < 0 else "",
                f"{posting.running_balance:.2f}",  # type: ignore[attr-defined]
                posting.currency,
            ]
        )
    return response
