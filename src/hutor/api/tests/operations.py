"""The table of every API operation, filled with a world's objects, for the tests that go
over all of them (roles, customers' reach)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Op:
    method: str
    template: str  # as in the OpenAPI document, under /api/v1
    path: str
    code: str | None = None  # the desk action it performs; None for a read
    customer_may: bool = False  # the panel lets a customer do it on their own account
    staff_only: bool = False  # a read the desk has and the panel has not
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.template


def operations(world: Any) -> list[Op]:
    number = world.account.number
    hosting = world.hosting.pk
    vps = world.vps.pk
    invoice = world.unpaid_invoice.number
    money = {"amount": "10.00", "currency": "RUB"}
    reason = {"reason": "table test"}
    return [
        Op("GET", "/accounts", "/accounts", staff_only=True),
        Op(
            "POST",
            "/accounts",
            "/accounts",
            "account.open",
            body={"email": "matrix@example.com", "name": "M", **reason},
        ),
        Op("GET", "/accounts/{number}", f"/accounts/{number}"),
        Op(
            "PUT",
            "/accounts/{number}/contacts",
            f"/accounts/{number}/contacts",
            "account.update",
            customer_may=True,
            body={
                "name": "ООО «Ромашка»",
                "inn": "7707083893",
                "kpp": "773601001",
                "address": "Москва",
                **reason,
            },
        ),
        Op("GET", "/search", "/search?q=romashka.ru", staff_only=True),
        Op("GET", "/accounts/{number}/services", f"/accounts/{number}/services"),
        Op("GET", "/services/{pk}", f"/services/{hosting}"),
        Op(
            "POST",
            "/accounts/{number}/orders",
            f"/accounts/{number}/orders",
            "order.place",
            customer_may=True,
            body={"tariff": "start", "period_months": 1, "identifier": "m.ru", **reason},
        ),
        Op(
            "POST",
            "/services/{pk}/cancel",
            f"/services/{vps}/cancel",
            "invoice.cancel",
            customer_may=True,
            body=reason,
        ),
        Op(
            "POST",
            "/services/{pk}/renew",
            f"/services/{hosting}/renew",
            "service.renew",
            customer_may=True,
            body={"period_months": 1, **reason},
        ),
        Op("GET", "/services/{pk}/tariff-quote", f"/services/{hosting}/tariff-quote?tariff=pro"),
        Op(
            "POST",
            "/services/{pk}/tariff",
            f"/services/{hosting}/tariff",
            "service.change_tariff",
            customer_may=True,
            body={"tariff": "pro", **reason},
        ),
        Op(
            "POST",
            "/services/{pk}/suspend",
            f"/services/{hosting}/suspend",
            "service.suspend",
            body=reason,
        ),
        Op(
            "POST",
            "/services/{pk}/unsuspend",
            f"/services/{hosting}/unsuspend",
            "service.unsuspend",
            body=reason,
        ),
        Op(
            "POST",
            "/services/{pk}/terminate",
            f"/services/{hosting}/terminate",
            "service.terminate",
            body=reason,
        ),
        Op(
            "POST",
            "/services/{pk}/provisioning/rerun",
            f"/services/{hosting}/provisioning/rerun",
            "service.rerun_create",
            body=reason,
        ),
        Op("GET", "/accounts/{number}/invoices", f"/accounts/{number}/invoices"),
        Op(
            "POST",
            "/accounts/{number}/invoices",
            f"/accounts/{number}/invoices",
            "invoice.create",
            body={"lines": [{"description": "Setup", "unit_price": "10.00"}], **reason},
        ),
        Op("GET", "/invoices/{number}", f"/invoices/{invoice}"),
        Op("GET", "/invoices/{number}/pdf", f"/invoices/{invoice}/pdf"),
        Op(
            "POST",
            "/invoices/{number}/cancel",
            f"/invoices/{invoice}/cancel",
            "invoice.cancel",
            body=reason,
        ),
        Op("GET", "/accounts/{number}/payments", f"/accounts/{number}/payments"),
        Op(
            "POST",
            "/accounts/{number}/top-ups",
            f"/accounts/{number}/top-ups",
            "payment_link.create",
            customer_may=True,
            body={"method": "demo", "amount": money, **reason},
        ),
        Op(
            "POST",
            "/accounts/{number}/payments/manual",
            f"/accounts/{number}/payments/manual",
            "payment.manual",
            body={
                "amount": money,
                "document_number": "77",
                "document_date": str(dt.date.today()),
                **reason,
            },
        ),
        Op("GET", "/payments/{number}/refunds", f"/payments/{world.payment.number}/refunds"),
        Op(
            "POST",
            "/payments/{number}/refunds",
            f"/payments/{world.payment.number}/refunds",
            "refund.gateway",
            body={"amount": money, **reason},
        ),
        Op("GET", "/accounts/{number}/balance", f"/accounts/{number}/balance"),
        Op("GET", "/accounts/{number}/statement", f"/accounts/{number}/statement"),
        Op(
            "POST",
            "/accounts/{number}/balance/adjustments",
            f"/accounts/{number}/balance/adjustments",
            "balance.adjust",
            body={"amount": money, "direction": "credit", **reason},
        ),
        Op(
            "POST",
            "/accounts/{number}/balance/refunds",
            f"/accounts/{number}/balance/refunds",
            "refund.balance",
            body={"amount": money, **reason},
        ),
    ]


def call(api: Any, op: Op, headers: dict[str, str] | None = None) -> Any:
    if op.method == "GET":
        path, _sep, query = op.path.partition("?")
        params = dict(part.split("=", 1) for part in query.split("&") if part)
        return api.get(path, headers=headers, **params)
    if op.method == "PUT":
        return api.put(op.path, op.body, headers=headers)
    return api.post(op.path, op.body, headers=headers)
