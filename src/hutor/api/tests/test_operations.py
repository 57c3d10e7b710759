"""Every operation over HTTP with an administrator's staff token: what it answers, what it
changes, and the audit entry it writes (the token's creator, "api:<token name>")."""

import datetime as dt

import pytest
from django.core import mail  # noqa: F401

from hutor.backoffice.models import AuditEntry
from hutor.invoices.models import Invoice
from hutor.notifications.models import OutboxEmail
from hutor.services.models import Service

pytestmark = pytest.mark.django_db


def last_audit(action):
    return AuditEntry.objects.filter(action=action).order_by("-pk").first()


def test_open_an_account_sends_the_activation_email_and_is_audited(staff_api):
    api = staff_api("sales")
    answer = api.post(
        "/accounts",
        {"email": "New@Example.com", "name": "Иван Новиков", "phone": "+7 900", "reason": "CRM"},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["contact_email"] == "new@example.com"
    assert answer["Location"].endswith(f"/api/v1/accounts/{body['number']}")
    assert OutboxEmail.objects.filter(
        template="account_opened", to_email="new@example.com"
    ).exists()
    entry = last_audit("account.open")
    assert entry.staff == staff_api.admin and entry.actor == "api:sales robot"
    assert entry.reason == "CRM" and entry.billing_account.number == body["number"]
    # The same email again: refused, in the request's language, nothing opened.
    again = api.post("/accounts", {"email": "new@example.com", "name": "X", "reason": "CRM"})
    assert again.status_code == 422
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "refused"
    # A company without its requisites: a validation problem naming the fields.
    bad = api.post(
        "/accounts", {"email": "c@example.com", "name": "ООО", "kind": "company", "reason": "CRM"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    assert {tuple(e["loc"]) for e in bad.json()["errors"]} >= {("body", "inn"), ("body", "kpp")}
    # The desk requires a reason of staff: so does the API.
    no_reason = api.post("/accounts", {"email": "d@example.com", "name": "D"})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "reason_required"


def test_find_accounts_by_number_email_inn_with_filters(staff_api, world):
    api = staff_api("support")
    by_email = api.get("/accounts", email="OLGA@example.com").json()
    assert [a["number"] for a in by_email["items"]] == [world.account.number]
    by_inn = api.get("/accounts", inn="7707083893").json()
    assert [a["number"] for a in by_inn["items"]] == [world.account.number]
    companies = api.get("/accounts", kind="company").json()
    assert [a["number"] for a in companies["items"]] == [world.account.number]
    one = api.get(f"/accounts/{world.account.number}").json()
    assert one["name"] == "ООО «Ромашка»"
    assert api.get("/accounts/1000000").status_code == 404


def test_search_is_the_desks_one_box(staff_api, world):
    api = staff_api("support")
    hits = api.get("/search", q=world.unpaid_invoice.number).json()["hits"]
    assert [(h["kind"], h["title"]) for h in hits] == [("invoice", world.unpaid_invoice.number)]
    hits = api.get("/search", q="romashka.ru").json()["hits"]
    assert hits[0]["kind"] == "service" and hits[0]["account"] == world.account.number
    hits = api.get("/search", q="7707083893").json()["hits"]
    assert hits[0]["account"] == world.account.number


def test_services_list_get_renew_suspend_unsuspend_terminate(staff_api, world):
    api = staff_api("admin")
    number = world.account.number
    listed = api.get(f"/accounts/{number}/services").json()["items"]
    assert {s["identifier"] for s in listed} == {"romashka.ru", "vps1.romashka.ru"}
    hosting = api.get(f"/services/{world.hosting.pk}").json()
    assert hosting["tariff"] == "start"
    status = hosting["status"]
    assert status == "active", hosting

    renewal = api.post(
        f"/services/{world.hosting.pk}/renew", {"period_months": 3, "reason": "Asked by phone"}
    )
    assert renewal.status_code == 201, renewal.content
    assert renewal.json()["kind"] == "renewal"
    assert last_audit("service.renew").actor == "api:admin robot"

    for action, expected in (
        ("suspend", "suspended"),
        ("unsuspend", "active"),
        ("terminate", "terminated"),
    ):
        answer = api.post(f"/services/{world.hosting.pk}/{action}", {"reason": "Abuse report 7"})
        assert answer.status_code == 200, answer.content
        assert answer.json()["status"] == expected
        assert last_audit(f"service.{action}").reason == "Abuse report 7"
    # A terminated service cannot be suspended: refused, as a problem.
    answer = api.post(f"/services/{world.hosting.pk}/suspend", {"reason": "again"})
    assert answer.status_code == 422 and answer.json()["code"] == "refused"


def test_order_then_cancel_the_unpaid_order(staff_api, world):
    api = staff_api("sales")
    answer = api.post(
        f"/accounts/{world.account.number}/orders",
        {"tariff": "pro", "period_months": 12, "identifier": "shop.ru", "reason": "Order by phone"},
    )
    assert answer.status_code == 201, answer.content
    order = answer.json()
    assert order["service"]["status"] == "pending"
    assert order["invoice"]["total"] == {"amount": "4990.00", "currency": "RUB"}
    cancelled = api.post(f"/services/{order['service']['id']}/cancel", {"reason": "Changed mind"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    invoice = Invoice.objects.get(number=order["invoice"]["number"])
    assert invoice.status == "cancelled"
    unknown = api.post(
        f"/accounts/{world.account.number}/orders",
        {"tariff": "nope", "period_months": 1, "reason": "x"},
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "refused"


def test_tariff_change_quote_then_apply(staff_api, world):
    api = staff_api("sales")
    quote = api.get(f"/services/{world.hosting.pk}/tariff-quote", tariff="pro")
    assert quote.status_code == 200, quote.content
    amount = quote.json()["amount"]
    assert amount["currency"] == "RUB"
    applied = api.post(f"/services/{world.hosting.pk}/tariff", {"tariff": "pro", "reason": "Up"})
    assert applied.status_code == 200, applied.content
    body = applied.json()
    if body["invoice"] is not None:
        assert body["invoice"]["total"]["amount"] == amount["amount"]
    entry = last_audit("service.change_tariff")
    assert entry.changes["tariff"] == {"from": "start", "to": "pro"}


def test_provisioning_rerun_is_queued(staff_api, world):
    api = staff_api("sales")
    answer = api.post(f"/services/{world.hosting.pk}/provisioning/rerun", {"reason": "Fixed"})
    # The hosting's create may be done already (the log module): then the action refuses.
    assert answer.status_code in (202, 422), answer.content
    if answer.status_code == 202:
        assert answer.json()["operation"] == "create"


def test_invoices_list_get_pdf_cancel(staff_api, world):
    api = staff_api("sales")
    page = api.get(f"/accounts/{world.account.number}/invoices", status="unpaid").json()
    assert [i["number"] for i in page["items"]] == [world.unpaid_invoice.number]
    one = api.get(f"/invoices/{world.unpaid_invoice.number}").json()
    assert one["lines"][0]["amount"]["currency"] == "RUB"
    assert one["issued_at"][-6:] == "+03:00"
    pdf = api.get(f"/invoices/{world.unpaid_invoice.number}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    cancelled = api.post(f"/invoices/{world.unpaid_invoice.number}/cancel", {"reason": "Dup"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert last_audit("invoice.cancel").actor == "api:sales robot"


def test_top_ups_payment_link_and_bank_document(staff_api, world):
    api = staff_api("sales")
    card = api.post(
        f"/accounts/{world.account.number}/top-ups",
        {
            "method": "demo",
            "amount": {"amount": "750.50", "currency": "RUB"},
            "reason": "Asked for a link",
        },
    )
    assert card.status_code == 201, card.content
    body = card.json()
    assert body["payment"]["amount"] == {"amount": "750.50", "currency": "RUB"}
    assert "/pay/link/" in body["pay_url"] and body["document_pdf_url"] is None
    bank = api.post(
        f"/accounts/{world.account.number}/top-ups",
        {"method": "bank", "amount": {"amount": "1000"}, "reason": "Bill"},
    )
    assert bank.status_code == 201, bank.content
    assert bank.json()["document_pdf_url"].endswith("document.pdf")
    listed = api.get(f"/accounts/{world.account.number}/payments").json()["items"]
    assert listed[0]["number"] == bank.json()["payment"]["number"]
    wrong = api.post(
        f"/accounts/{world.account.number}/top-ups",
        {"method": "demo", "amount": {"amount": "-5"}, "reason": "x"},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "validation_error"


def test_manual_payment_adjust_refund_and_statement(staff_api, world):
    api = staff_api("accountant")
    number = world.account.number
    before = api.get(f"/accounts/{number}/balance").json()["balance"]["amount"]
    paid = api.post(
        f"/accounts/{number}/payments/manual",
        {
            "amount": {"amount": "2000.00"},
            "document_number": "555",
            "document_date": str(dt.date.today()),
            "reason": "Statement 12",
        },
    )
    assert paid.status_code == 201, paid.content
    assert paid.json()["status"] == "succeeded"
    credit = api.post(
        f"/accounts/{number}/balance/adjustments",
        {"amount": {"amount": "10.00"}, "direction": "credit", "reason": "Fix"},
    )
    assert credit.status_code == 201 and credit.json()["amount"]["amount"] == "10.00"
    debit = api.post(
        f"/accounts/{number}/balance/adjustments",
        {"amount": {"amount": "999999.00"}, "direction": "debit", "reason": "Fix"},
    )
    assert debit.status_code == 422 and debit.json()["code"] == "refused"
    refund = api.post(
        f"/accounts/{number}/balance/refunds", {"amount": {"amount": "5.00"}, "reason": "Outage"}
    )
    assert refund.status_code == 201 and refund.json()["kind"] == "refund"
    assert last_audit("refund.balance").actor == "api:accountant robot"
    lines = []
    url = f"/accounts/{number}/statement"
    params = {"limit": 2}
    while True:
        page = api.get(url, **params).json()
        lines += page["items"]
        if not page["next"]:
            break
        url = page["next"].removeprefix("/api/v1")
        params = {}
    after = api.get(f"/accounts/{number}/balance").json()["balance"]
    assert lines[-1]["balance_after"] == after
    assert len({line["id"] for line in lines}) == len(lines)
    assert float(after["amount"]) != float(before)
    # Every line's balance is the previous one plus its amount.
    from decimal import Decimal

    running = Decimal(0)
    for line in lines:
        running += Decimal(line["amount"]["amount"])
        assert Decimal(line["balance_after"]["amount"]) == running


def test_contacts_update_with_etag(staff_api, world):
    api = staff_api("sales")
    path = f"/accounts/{world.account.number}"
    read = api.get(path)
    tag = read["ETag"]
    body = {
        "name": "ООО «Ромашка-2»",
        "address": "Москва, ул. Лесная, 2",
        "inn": "7707083893",
        "kpp": "773601001",
        "phone": "",
        "language": "ru",
        "reason": "Letter 4",
    }
    missing = api.put(f"{path}/contacts", body)
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    stale = api.put(f"{path}/contacts", body, headers={"If-Match": '"0000"'})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    done = api.put(f"{path}/contacts", body, headers={"If-Match": tag})
    assert done.status_code == 200, done.content
    assert done.json()["name"] == "ООО «Ромашка-2»" and done["ETag"] != tag
    entry = last_audit("account.update")
    assert entry.changes["name"] == {"from": "ООО «Ромашка»", "to": "ООО «Ромашка-2»"}
    # The old tag no longer matches: a second writer that read before is told so.
    again = api.put(f"{path}/contacts", {**body, "name": "Другое"}, headers={"If-Match": tag})
    assert again.status_code == 412
    world.account.refresh_from_db()
    assert world.account.name == "ООО «Ромашка-2»"
    assert Service.objects.count() == 2
