"""Roles are enforced on every desk page and action: the whole matrix of roles x URLs.

Each role gets its page (200) or its action's form (200; an empty POST re-shows the form with
errors and does nothing) where allowed, and 403 where not; without a desk session every URL
leads to the desk login.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from hutor.backoffice import roles
from hutor.backoffice import urls as desk_urls
from hutor.backoffice.models import AuditEntry, Role, StaffProfile
from hutor.backoffice.tests.audited import failed_fiscal_receipt
from hutor.backoffice.tests.conftest import desk_session, queued_bank_line
from hutor.core import clock
from hutor.core.events import EventKind, publish
from hutor.core.money import Money
from hutor.payments.bank import actions as bank_actions
from hutor.payments.refunds import open_refund
from hutor.servers import actions as servers
from hutor.servers.models import Server, ServerGroup
from hutor.support.actions import open_ticket
from hutor.support.files import Incoming
from hutor.support.models import CannedAnswer, Ticket
from hutor.support.tests.data import department
from hutor.webhooks import actions as webhooks
from hutor.webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

ALL_ROLES = [Role.SUPPORT, Role.SALES, Role.ACCOUNTANT, Role.ADMIN]
LOGIN_STEPS = {"login", "login_code", "login_setup", "logout"}


def matrix(world, staff) -> list[tuple[str, str, str, str]]:
    """(url name, url, method, least role) for every desk page and action."""
    acc = world.account.number
    inv = world.unpaid_invoice.number
    pay = world.payment.number
    svc = world.hosting.pk
    email = world.account.emails.first().pk
    task = world.hosting.provisioning.first().pk  # the manual module's create to-do
    tariff = world.catalog.start.pk
    method = world.methods.demo.pk
    refund = open_refund(payment=world.payment, amount=Money("100.00")).pk  # left pending
    receipt = failed_fiscal_receipt(world).pk
    statement = bank_actions.import_statement(content=b"", file_name="empty.txt").pk  # rejected
    line = queued_bank_line("901").pk
    group = ServerGroup.objects.filter(code="matrix").first() or servers.add_group(
        code="matrix", name="Matrix"
    )
    server = (
        Server.objects.filter(name="matrix1").first()
        or servers.add_server(name="matrix1", group=group, module="log", host="m.example.net")
    ).pk
    category, article = help_article()
    offer = draft_offer()
    tax_rule = future_tax_rule()
    act = closing_document(world.account)
    advance = advance_invoice(world.payment)

    hook = Endpoint.objects.first()
    if hook is None:
        hook, _secret = webhooks.create_endpoint(
            url="https://crm.example.net/hooks", events=[EventKind.BALANCE_ADJUSTED]
        )
        publish(EventKind.BALANCE_ADJUSTED, billing_account=world.account, data={})
    delivery = hook.deliveries.first().pk
    ticket = Ticket.objects.filter(billing_account=world.account).first() or open_ticket(
        subject="Matrix",
        text="Matrix",
        department=department(),
        billing_account=world.account,
        attachments=[Incoming(name="m.txt", content=b"m")],
    )
    tkt = ticket.number
    file = ticket.messages.first().attachments.get().pk
    answer = (
        CannedAnswer.objects.first()
        or CannedAnswer.objects.create(title="Matrix", text_ru="М", text_en="M")
    ).pk

    def r(name, *args):
        return reverse(f"desk:{name}", args=args)

    rows: list[tuple[str, str, str, str]] = [
        ("home", r("home"), "GET", Role.SUPPORT),
        ("home", r("home") + "?q=" + acc, "GET", Role.SUPPORT),
        ("account", r("account", acc), "GET", Role.SUPPORT),
        ("as_customer", r("as_customer", acc), "GET", Role.SUPPORT),
        ("invoice", r("invoice", inv), "GET", Role.SUPPORT),
        ("service", r("service", svc), "GET", Role.SUPPORT),
        ("payment", r("payment", pay), "GET", Role.SUPPORT),
        ("audit", r("audit"), "GET", Role.ACCOUNTANT),
        ("reports", r("reports"), "GET", Role.SUPPORT),
        ("report", r("report", "tickets"), "GET", Role.SUPPORT),
        ("report", r("report", "sla") + "?format=csv", "GET", Role.SUPPORT),
        ("report", r("report", "outstanding"), "GET", Role.SALES),
        ("report", r("report", "expiring") + "?format=csv", "GET", Role.SALES),
        ("report", r("report", "payments"), "GET", Role.ACCOUNTANT),
        ("report", r("report", "revenue") + "?format=csv", "GET", Role.ACCOUNTANT),
        ("report", r("report", "lapses"), "GET", Role.ACCOUNTANT),
        ("sales_ledger", r("sales_ledger"), "GET", Role.ACCOUNTANT),
        ("note_add", r("note_add", acc), "POST", Role.SUPPORT),
        ("tickets", r("tickets"), "GET", Role.SUPPORT),
        ("tickets", r("tickets") + "?filter=overdue&department=billing", "GET", Role.SUPPORT),
        ("ticket", r("ticket", tkt), "GET", Role.SUPPORT),
        ("ticket_file", r("ticket_file", tkt, file), "GET", Role.SUPPORT),
        ("ticket_reply", r("ticket_reply", tkt), "POST", Role.SUPPORT),
        ("ticket_note", r("ticket_note", tkt), "POST", Role.SUPPORT),
        ("ticket_assign", r("ticket_assign", tkt), "POST", Role.SUPPORT),
        ("ticket_status", r("ticket_status", tkt), "POST", Role.SUPPORT),
        ("ticket_priority", r("ticket_priority", tkt), "POST", Role.SUPPORT),
        ("ticket_attach", r("ticket_attach", tkt), "POST", Role.SUPPORT),
        ("ticket_verify", r("ticket_verify", tkt), "POST", Role.SUPPORT),
        ("ticket_merge", r("ticket_merge", tkt), "POST", Role.SUPPORT),
        ("canned", r("canned"), "GET", Role.SUPPORT),
        ("canned_add", r("canned_add"), "GET", Role.SUPPORT),
        ("canned_add", r("canned_add"), "POST", Role.SUPPORT),
        ("canned_edit", r("canned_edit", answer), "GET", Role.SUPPORT),
        ("canned_edit", r("canned_edit", answer), "POST", Role.SUPPORT),
        ("resend_activation", r("resend_activation", acc), "GET", Role.SUPPORT),
        ("resend_activation", r("resend_activation", acc), "POST", Role.SUPPORT),
        ("email_resend", r("email_resend", email), "GET", Role.SUPPORT),
        ("email_resend", r("email_resend", email), "POST", Role.SUPPORT),
        ("invoice_resend", r("invoice_resend", inv), "GET", Role.SUPPORT),
        ("change_email", r("change_email", acc), "GET", Role.SALES),
        ("change_email", r("change_email", acc), "POST", Role.SALES),
        ("order", r("order", acc), "GET", Role.SALES),
        ("order", r("order", acc), "POST", Role.SALES),
        ("invoice_create", r("invoice_create", acc), "GET", Role.SALES),
        ("invoice_create", r("invoice_create", acc), "POST", Role.SALES),
        ("payment_link", r("payment_link", acc), "GET", Role.SALES),
        ("payment_link", r("payment_link", acc), "POST", Role.SALES),
        ("invoice_cancel", r("invoice_cancel", inv), "GET", Role.SALES),
        ("invoice_cancel", r("invoice_cancel", inv), "POST", Role.SALES),
        ("service_renew", r("service_renew", svc), "GET", Role.SALES),
        ("service_renew", r("service_renew", svc), "POST", Role.SALES),
        ("service_suspend", r("service_suspend", svc), "GET", Role.SALES),
        ("service_suspend", r("service_suspend", svc), "POST", Role.SALES),
        ("service_unsuspend", r("service_unsuspend", svc), "GET", Role.SALES),
        ("service_unsuspend", r("service_unsuspend", svc), "POST", Role.SALES),
        ("manual_payment", r("manual_payment", acc), "GET", Role.ACCOUNTANT),
        ("manual_payment", r("manual_payment", acc), "POST", Role.ACCOUNTANT),
        ("adjust", r("adjust", acc), "GET", Role.ACCOUNTANT),
        ("adjust", r("adjust", acc), "POST", Role.ACCOUNTANT),
        ("refund_balance", r("refund_balance", acc), "GET", Role.ACCOUNTANT),
        ("refund_balance", r("refund_balance", acc), "POST", Role.ACCOUNTANT),
        ("refund_gateway", r("refund_gateway", pay), "GET", Role.ACCOUNTANT),
        ("refund_gateway", r("refund_gateway", pay), "POST", Role.ACCOUNTANT),
        ("refund_retry", r("refund_retry", pay, refund), "GET", Role.ACCOUNTANT),
        ("refund_retry", r("refund_retry", pay, refund), "POST", Role.ACCOUNTANT),
        ("refund_resolve", r("refund_resolve", pay, refund), "GET", Role.ACCOUNTANT),
        ("refund_resolve", r("refund_resolve", pay, refund), "POST", Role.ACCOUNTANT),
        ("needs_review", r("needs_review"), "GET", Role.SUPPORT),
        ("fiscal_receipts", r("fiscal_receipts"), "GET", Role.SUPPORT),
        ("fiscal_receipts", r("fiscal_receipts") + "?show=failed", "GET", Role.SUPPORT),
        ("fiscal_retry", r("fiscal_retry", receipt), "GET", Role.ACCOUNTANT),
        ("fiscal_retry", r("fiscal_retry", receipt), "POST", Role.ACCOUNTANT),
        ("payment_review", r("payment_review", pay), "GET", Role.ACCOUNTANT),
        ("payment_review", r("payment_review", pay), "POST", Role.ACCOUNTANT),
        ("service_extend", r("service_extend", svc), "GET", Role.ACCOUNTANT),
        ("service_extend", r("service_extend", svc), "POST", Role.ACCOUNTANT),
        ("queue", r("queue"), "GET", Role.SUPPORT),
        ("queue_retry", r("queue_retry", "email", email), "GET", Role.SALES),
        ("queue_retry", r("queue_retry", "email", email), "POST", Role.SALES),
        ("queue_complete", r("queue_complete", task), "GET", Role.SALES),
        ("queue_complete", r("queue_complete", task), "POST", Role.SALES),
        ("service_rerun_create", r("service_rerun_create", svc), "GET", Role.SALES),
        ("service_rerun_create", r("service_rerun_create", svc), "POST", Role.SALES),
        ("service_sync", r("service_sync", svc), "POST", Role.SUPPORT),
        ("service_control_panel", r("service_control_panel", svc), "GET", Role.SALES),
        ("service_control_panel", r("service_control_panel", svc), "POST", Role.SALES),
        ("service_terminate", r("service_terminate", svc), "GET", Role.ACCOUNTANT),
        ("service_terminate", r("service_terminate", svc), "POST", Role.ACCOUNTANT),
        ("service_cancel_refund", r("service_cancel_refund", svc), "GET", Role.ACCOUNTANT),
        ("service_cancel_refund", r("service_cancel_refund", svc), "POST", Role.ACCOUNTANT),
        ("staff", r("staff"), "GET", Role.ADMIN),
        ("staff_create", r("staff_create"), "GET", Role.ADMIN),
        ("staff_create", r("staff_create"), "POST", Role.ADMIN),
        ("staff_update", r("staff_update", staff.pk), "GET", Role.ADMIN),
        ("staff_update", r("staff_update", staff.pk), "POST", Role.ADMIN),
        ("staff_reset_totp", r("staff_reset_totp", staff.pk), "GET", Role.ADMIN),
        ("staff_reset_totp", r("staff_reset_totp", staff.pk), "POST", Role.ADMIN),
        ("catalog", r("catalog"), "GET", Role.ADMIN),
        ("tariff_toggle", r("tariff_toggle", tariff), "GET", Role.ADMIN),
        ("tariff_toggle", r("tariff_toggle", tariff), "POST", Role.ADMIN),
        ("payment_methods", r("payment_methods"), "GET", Role.ADMIN),
        ("payment_method_toggle", r("payment_method_toggle", method), "GET", Role.ADMIN),
        ("payment_method_toggle", r("payment_method_toggle", method), "POST", Role.ADMIN),
        ("provider", r("provider"), "GET", Role.ADMIN),
        ("provider", r("provider"), "POST", Role.ADMIN),
        ("companies", r("companies"), "GET", Role.ADMIN),
        ("company_add", r("company_add"), "GET", Role.ADMIN),
        ("company_add", r("company_add"), "POST", Role.ADMIN),
        ("company_edit", r("company_edit", default_company()), "GET", Role.ADMIN),
        ("company_edit", r("company_edit", default_company()), "POST", Role.ADMIN),
        ("bank", r("bank"), "GET", Role.ACCOUNTANT),
        ("bank_upload", r("bank_upload"), "POST", Role.ACCOUNTANT),
        ("bank_record", r("bank_record"), "GET", Role.ACCOUNTANT),
        ("bank_record", r("bank_record") + "?account=" + acc, "GET", Role.ACCOUNTANT),
        ("bank_statement", r("bank_statement", statement), "GET", Role.ACCOUNTANT),
        ("bank_queue", r("bank_queue"), "GET", Role.ACCOUNTANT),
        ("bank_queue", r("bank_queue") + "?show=not-ours&q=x", "GET", Role.ACCOUNTANT),
        ("bank_assign", r("bank_assign", line), "GET", Role.ACCOUNTANT),
        ("bank_assign", r("bank_assign", line), "POST", Role.ACCOUNTANT),
        ("bank_not_ours", r("bank_not_ours", line), "GET", Role.ACCOUNTANT),
        ("bank_not_ours", r("bank_not_ours", line), "POST", Role.ACCOUNTANT),
        ("servers", r("servers"), "GET", Role.ADMIN),
        ("server_add", r("server_add"), "GET", Role.ADMIN),
        ("server_add", r("server_add"), "POST", Role.ADMIN),
        ("server_edit", r("server_edit", server), "GET", Role.ADMIN),
        ("server_edit", r("server_edit", server), "POST", Role.ADMIN),
        ("server_groups", r("server_groups"), "GET", Role.ADMIN),
        ("server_group_add", r("server_group_add"), "GET", Role.ADMIN),
        ("server_group_add", r("server_group_add"), "POST", Role.ADMIN),
        ("server_group_edit", r("server_group_edit", group.pk), "GET", Role.ADMIN),
        ("server_group_edit", r("server_group_edit", group.pk), "POST", Role.ADMIN),
        ("webhooks", r("webhooks"), "GET", Role.ADMIN),
        ("webhooks", r("webhooks") + "?show=failed", "GET", Role.ADMIN),
        ("webhook_add", r("webhook_add"), "GET", Role.ADMIN),
        ("webhook_add", r("webhook_add"), "POST", Role.ADMIN),
        ("webhook_edit", r("webhook_edit", hook.pk), "GET", Role.ADMIN),
        ("webhook_edit", r("webhook_edit", hook.pk), "POST", Role.ADMIN),
        ("webhook_secret", r("webhook_secret", hook.pk), "GET", Role.ADMIN),
        ("webhook_secret", r("webhook_secret", hook.pk), "POST", Role.ADMIN),
        ("webhook_delivery", r("webhook_delivery", delivery), "GET", Role.ADMIN),
        ("webhook_resend", r("webhook_resend", delivery), "GET", Role.ADMIN),
        ("webhook_resend", r("webhook_resend", delivery), "POST", Role.ADMIN),
        ("kb", r("kb"), "GET", Role.SUPPORT),
        ("kb_article", r("kb_article", article), "GET", Role.SUPPORT),
        ("kb_article_add", r("kb_article_add"), "GET", Role.SUPPORT),
        ("kb_article_add", r("kb_article_add"), "POST", Role.SUPPORT),
        ("kb_article_edit", r("kb_article_edit", article), "GET", Role.SUPPORT),
        ("kb_article_edit", r("kb_article_edit", article), "POST", Role.SUPPORT),
        ("kb_publish", r("kb_publish", article), "GET", Role.SUPPORT),
        ("kb_publish", r("kb_publish", article), "POST", Role.SUPPORT),
        ("kb_unpublish", r("kb_unpublish", article), "POST", Role.SUPPORT),
        ("kb_guide_take", r("kb_guide_take", article), "GET", Role.SUPPORT),
        ("kb_guide_take", r("kb_guide_take", article), "POST", Role.SUPPORT),
        ("kb_guide_keep", r("kb_guide_keep", article), "POST", Role.SUPPORT),
        ("kb_category_add", r("kb_category_add"), "POST", Role.SUPPORT),
        ("kb_category_edit", r("kb_category_edit", category), "GET", Role.SUPPORT),
        ("kb_category_edit", r("kb_category_edit", category), "POST", Role.SUPPORT),
        ("reconciliation", r("reconciliation", acc), "GET", Role.SUPPORT),
        ("closing_pdf", r("closing_pdf", acc, act, "document"), "GET", Role.SUPPORT),
        ("advance_pdf", r("advance_pdf", acc, advance), "GET", Role.SUPPORT),
        ("closing_xml", r("closing_xml", acc, act), "GET", Role.SUPPORT),
        ("advance_xml", r("advance_xml", acc, advance), "GET", Role.SUPPORT),
        ("closing_regenerate", r("closing_regenerate", acc), "GET", Role.ACCOUNTANT),
        ("closing_regenerate", r("closing_regenerate", acc), "POST", Role.ACCOUNTANT),
        ("offers", r("offers"), "GET", Role.SUPPORT),
        ("offer", r("offer", offer), "GET", Role.SUPPORT),
        ("offer_add", r("offer_add"), "GET", Role.ADMIN),
        ("offer_add", r("offer_add"), "POST", Role.ADMIN),
        ("offer_edit", r("offer_edit", offer), "GET", Role.ADMIN),
        ("offer_edit", r("offer_edit", offer), "POST", Role.ADMIN),
        ("offer_publish", r("offer_publish", offer), "GET", Role.ADMIN),
        ("offer_publish", r("offer_publish", offer), "POST", Role.ADMIN),
        ("tax_rules", r("tax_rules"), "GET", Role.ADMIN),
        ("tax_rule_add", r("tax_rule_add", 1), "GET", Role.ADMIN),
        ("tax_rule_add", r("tax_rule_add", 1), "POST", Role.ADMIN),
        ("tax_rule_withdraw", r("tax_rule_withdraw", tax_rule), "GET", Role.ADMIN),
        ("tax_rule_withdraw", r("tax_rule_withdraw", tax_rule), "POST", Role.ADMIN),
    ]
    return rows


def future_tax_rule() -> int:
    """A tax rule of the provider not in force yet (made once), for the withdraw page's rows."""
    from hutor.core.models import Provider
    from hutor.taxes import actions as taxes
    from hutor.taxes.models import TaxRule

    day = clock.today() + dt.timedelta(days=400)
    found = TaxRule.objects.filter(effective_from=day).first()
    if found is None:
        found = taxes.add_rule(
            provider=Provider.objects.get(pk=1), regime="simplified", rate=None, effective_from=day
        )
    return found.pk


def draft_offer() -> int:
    """A draft version of the public offer (made once), for the offer pages' rows."""
    from hutor.offers import actions as offers
    from hutor.offers.models import Offer

    found = Offer.objects.filter(number="matrix").first()
    if found is None:
        values = {"number": "matrix", "effective_from": clock.today(), "text_ru": "Матрица"}
        found, _changes = offers.save_draft(offer=None, values=values)
    return found.pk


def default_company() -> int:
    """The default provider company's id (the world's provider, made once)."""
    from hutor.core.models import Provider

    found = Provider.current()
    if found is None:
        found = Provider.objects.create(
            legal_name="ООО «Матрица»",
            short_name="Матрица",
            inn="7707083893",
            address="Москва",
            bank_name="ПАО Сбербанк",
            bik="044525225",
            correspondent_account="30101810400000000225",
            settlement_account="40702810938000000001",
        )
    return found.pk


def advance_invoice(payment) -> int:
    """An advance invoice-factura of the payment (written once, as an issued one is stored),
    for the PDF's row."""
    import datetime as dt
    from decimal import Decimal

    from hutor.core import clock
    from hutor.core.models import Provider
    from hutor.documents.models import AdvanceInvoice

    found = AdvanceInvoice.objects.filter(payment=payment).first()
    if found is None:
        company = Provider.current() or Provider.objects.create(
            legal_name="ООО «Матрица»", inn="7707083893", address="Москва"
        )
        found = AdvanceInvoice.objects.create(
            year=2026,
            company=company,
            number=1,
            issued_on=dt.date(2026, 3, 2),
            payment=payment,
            billing_account=payment.billing_account,
            payment_document=payment.number,
            payment_date=dt.date(2026, 3, 2),
            provider={"legal_name": "ООО «Матрица»", "inn": "7707083893"},
            payer={"name": payment.billing_account.name, "number": payment.billing_account.number},
            tax_regime="general",
            vat_rate=Decimal(22),
            amount=Decimal("122.00"),
            vat_amount=Decimal("22.00"),
            currency="RUB",
            created_at=clock.now(),
        )
    return found.pk


def closing_document(account) -> int:
    """A closing document of the account (written once, as an issued act is stored), for the
    PDF's row."""
    import datetime as dt
    from decimal import Decimal

    from hutor.documents.models import ClosingDocument

    found = ClosingDocument.objects.filter(billing_account=account).first()
    if found is None:
        found = ClosingDocument.objects.create(
            kind="act",
            year=2026,
            number=1,
            issued_on=dt.date(2026, 1, 31),
            month=dt.date(2026, 1, 1),
            billing_account=account,
            company_id=default_company(),
            provider={"legal_name": "ООО «Матрица»", "inn": "7707083893"},
            payer={"name": account.name, "number": account.number},
            total=Decimal("100.00"),
            created_at=clock.now(),
        )
    return found.pk


def help_article() -> tuple[int, int]:
    """A help category and a draft article in it (made once), for the kb pages' rows."""
    from hutor.kb import actions as kb
    from hutor.kb.models import Article, Category

    category = Category.objects.filter(slug="matrix").first()
    if category is None:
        values = {"slug": "matrix", "name_ru": "Матрица", "name_en": "Matrix", "position": 0}
        category, _changes = kb.save_category(category=None, values=values)
    article = Article.objects.filter(slug_en="matrix").first()
    if article is None:
        texts = {
            f"{f}_{lang}": "matrix" for f in ("slug", "title", "body") for lang in ("ru", "en")
        }
        texts["slug_ru"] = "matrix-ru"
        article, _changes = kb.save_article(
            article=None, values={"category": category, "position": 0, **texts}
        )
    return category.pk, article.pk


def test_the_matrix_covers_every_desk_url_and_every_view_is_guarded(world, staff_factory):
    rows = matrix(world, staff_factory(Role.SUPPORT))
    named = {pattern.name for pattern in desk_urls.urlpatterns}
    assert {name for name, *_rest in rows} == named - LOGIN_STEPS
    for pattern in desk_urls.urlpatterns:
        if pattern.name in LOGIN_STEPS or pattern.name == "report":
            continue
        # Every other view is wrapped in roles.require_role (which marks the role it needs).
        assert getattr(pattern.callback, "desk_role", None) in Role.values, pattern.name
    # Every action the desk can perform has a least role.
    assert set(roles.ACTIONS.values()) <= set(Role.values)


# Pages whose answer to an allowed role is a refusal of the world's data, not of the role: the
# world's act carries no VAT, so it has no FNS XML (404), and its customer has no address,
# which an invoice-factura's XML needs (409, said on the page); documents/tests/test_upd_xml.py
# shows both files served (200) where the data allows.
REFUSED_FOR_THEIR_DATA = {"closing_xml": 404, "advance_xml": 409}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_is_allowed_exactly_its_pages_and_actions(role, world, staff_factory):
    member = staff_factory(Role.SUPPORT)  # the staff member the admin pages act on
    client = desk_session(Client(), staff_factory(role))
    audit_before = AuditEntry.objects.count()
    failures = []
    for name, url, method, needed in matrix(world, member):
        response = client.post(url, {}) if method == "POST" else client.get(url)
        allowed = roles.allows(role, needed)
        answers = (REFUSED_FOR_THEIR_DATA[name],) if name in REFUSED_FOR_THEIR_DATA else (200, 302)
        ok = response.status_code in answers if allowed else response.status_code == 403
        if not ok:
            failures.append(
                f"{role} {method} {url} ({name}, needs {needed}): {response.status_code}"
            )
        if response.status_code == 302:
            assert "/desk/login/" not in response["Location"], (url, response["Location"])
    assert failures == []
    # Empty forms perform nothing (an empty note is refused too).
    assert AuditEntry.objects.count() == audit_before


def test_without_a_desk_session_every_url_leads_to_the_desk_login(world, staff_factory, client):
    member = staff_factory(Role.ADMIN)
    customer = world.account.user
    panel_client = Client()
    panel_client.force_login(customer)  # a customer's login, not a desk session
    staff_elsewhere = Client()
    staff_elsewhere.force_login(member)  # a staff login made elsewhere (the admin, the panel)
    for _name, url, method, _needed in matrix(world, member):
        for who in (client, panel_client, staff_elsewhere):
            response = who.post(url, {}) if method == "POST" else who.get(url)
            assert response.status_code == 302, (url, response.status_code)
            assert response["Location"].startswith(reverse("desk:login")), url


def test_a_staff_member_whose_role_was_removed_is_refused_at_once(world, staff_factory):
    user = staff_factory(Role.SALES)
    client = desk_session(Client(), user)
    assert client.get(reverse("desk:home")).status_code == 200
    StaffProfile.objects.filter(user=user).delete()
    assert client.get(reverse("desk:home")).status_code == 403
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(reverse("desk:home")).status_code == 302  # an inactive login is logged out


def test_a_superuser_without_a_profile_is_an_administrator(db, django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@staff.example", password="x")
    assert roles.role_of(admin) == Role.ADMIN
    customer = django_user_model.objects.create_user(email="c@example.com", password="x")
    assert roles.role_of(customer) is None
