"""OpenAPI links (OpenAPI 3.1, "Link Object"): which operation a response's values open next —
the account a POST /accounts made, the service and invoice of an order. Readers of the
document (and generated clients) see the way from one call to the next; schemathesis follows
them in its stateful run (api/tests/test_stateful.py)."""

from __future__ import annotations

from typing import Any

NUMBER = "$response.body#/number"  # an account's, an invoice's, a payment's
# (answering operation, status) -> [(link name, target operation, {parameter: expression})];
# operations as (method, path).
LINKS: dict[tuple[str, str, str], list[tuple[str, tuple[str, str], dict[str, str]]]] = {
    ("post", "/api/v1/accounts", "201"): [
        ("GetAccount", ("get", "/api/v1/accounts/{number}"), {"number": NUMBER}),
        ("ListServices", ("get", "/api/v1/accounts/{number}/services"), {"number": NUMBER}),
        ("ListInvoices", ("get", "/api/v1/accounts/{number}/invoices"), {"number": NUMBER}),
        ("Balance", ("get", "/api/v1/accounts/{number}/balance"), {"number": NUMBER}),
        ("PlaceOrder", ("post", "/api/v1/accounts/{number}/orders"), {"number": NUMBER}),
        ("CreateInvoice", ("post", "/api/v1/accounts/{number}/invoices"), {"number": NUMBER}),
        (
            "RecordPayment",
            ("post", "/api/v1/accounts/{number}/payments/manual"),
            {"number": NUMBER},
        ),
        (
            "AdjustBalance",
            ("post", "/api/v1/accounts/{number}/balance/adjustments"),
            {"number": NUMBER},
        ),
    ],
    ("post", "/api/v1/accounts/{number}/orders", "201"): [
        ("GetService", ("get", "/api/v1/services/{pk}"), {"pk": "$response.body#/service/id"}),
        (
            "CancelOrder",
            ("post", "/api/v1/services/{pk}/cancel"),
            {"pk": "$response.body#/service/id"},
        ),
        (
            "GetInvoice",
            ("get", "/api/v1/invoices/{number}"),
            {"number": "$response.body#/invoice/number"},
        ),
    ],
    ("post", "/api/v1/accounts/{number}/invoices", "201"): [
        ("GetInvoice", ("get", "/api/v1/invoices/{number}"), {"number": NUMBER}),
        ("InvoicePdf", ("get", "/api/v1/invoices/{number}/pdf"), {"number": NUMBER}),
        ("CancelInvoice", ("post", "/api/v1/invoices/{number}/cancel"), {"number": NUMBER}),
    ],
    ("post", "/api/v1/services/{pk}/renew", "201"): [
        ("GetInvoice", ("get", "/api/v1/invoices/{number}"), {"number": NUMBER}),
        ("CancelInvoice", ("post", "/api/v1/invoices/{number}/cancel"), {"number": NUMBER}),
    ],
    ("get", "/api/v1/services/{pk}", "200"): [
        ("Renew", ("post", "/api/v1/services/{pk}/renew"), {"pk": "$response.body#/id"}),
        ("Suspend", ("post", "/api/v1/services/{pk}/suspend"), {"pk": "$response.body#/id"}),
        ("Unsuspend", ("post", "/api/v1/services/{pk}/unsuspend"), {"pk": "$response.body#/id"}),
        (
            "TariffQuote",
            ("get", "/api/v1/services/{pk}/tariff-quote"),
            {"pk": "$response.body#/id"},
        ),
    ],
    ("post", "/api/v1/accounts/{number}/payments/manual", "201"): [
        ("ListRefunds", ("get", "/api/v1/payments/{number}/refunds"), {"number": NUMBER}),
    ],
}


def add_links(document: dict[str, Any]) -> None:
    """Put LINKS into a generated document, each naming its target by operationId."""
    paths = document["paths"]
    for (method, path, status), links in LINKS.items():
        answer = paths[path][method]["responses"][status]
        answer["links"] = {
            name: {"operationId": paths[target[1]][target[0]]["operationId"], "parameters": params}
            for name, target, params in links
        }
