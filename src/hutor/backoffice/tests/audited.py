"""Parts of the every-action audit test (test_actions.py), kept apart to keep that file
readable: how an entry is checked, and the bank's actions performed through their pages."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from hutor.backoffice.models import AuditEntry
from hutor.backoffice.tests.conftest import queued_bank_line
from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.payments.models import BankStatement


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-id")[0]


def check(audit: AuditEntry, /, *, action: str, staff, reason: str, account=None, **facts) -> None:
    assert audit.action == action
    assert audit.staff == staff
    assert audit.reason == reason
    assert audit.billing_account == account
    assert audit.created_at is not None
    for key, value in facts.items():
        assert audit.changes[key] == value, (key, audit.changes)


def bank_actions_audited(post, staff, acc) -> set[str]:
    """The bank's actions through their desk pages, each checked; returns their codes."""
    done: set[str] = set()
    # Bank: a statement uploaded (this one is rejected: it is empty), a queued payment credited
    # to its account, another set aside as not ours.
    entry = post("bank_upload", [], {"file": SimpleUploadedFile("kl_to_1c.txt", b" ")})
    statement = BankStatement.objects.get()
    assert statement.is_rejected and statement.uploaded_by == staff
    check(
        entry,
        action="bank.import",
        staff=staff,
        reason="kl_to_1c.txt",
        documents=0,
        credited=0,
        rejected_file=True,
    )
    done.add(entry.action)

    line = queued_bank_line("902", "700.00")
    balance = ledger_queries.balance(acc)
    entry = post("bank_assign", [line.pk], {"account": acc.number, "reason": "Called: hers"})
    line.refresh_from_db()
    assert line.status == "credited" and line.resolved_by == staff
    assert ledger_queries.balance(acc) == balance + Money("700.00")
    check(
        entry,
        action="bank.assign",
        staff=staff,
        reason="Called: hers",
        account=acc,
        amount="700.00 RUB",
        document="902",
        payment=line.payment.number,
    )
    done.add(entry.action)

    line = queued_bank_line("903", "55.00")
    entry = post("bank_not_ours", [line.pk], {"reason": "A loan repayment; returned"})
    line.refresh_from_db()
    assert line.status == "not_ours"
    check(
        entry,
        action="bank.not_ours",
        staff=staff,
        reason="A loan repayment; returned",
        amount="55.00 RUB",
        document="903",
    )
    done.add(entry.action)
    return done


def ticket_actions_audited(post, staff, acc) -> set[str]:
    """Support's work on a ticket through the desk's pages, each checked; returns their codes."""
    from hutor.support.actions import open_ticket
    from hutor.support.tests.data import department

    ticket = open_ticket(
        subject="Audit",
        text="Please help",
        department=department(),
        billing_account=acc,
    )
    n = ticket.number
    done: set[str] = set()
    for name, data, action, facts in [
        ("ticket_reply", {"reply-text": "Done"}, "ticket.reply", {}),
        ("ticket_note", {"note-text": "VIP"}, "ticket.note", {}),
        ("ticket_assign", {"assignee": staff.pk}, "ticket.assign", {}),
        (
            "ticket_status",
            {"status": "closed"},
            "ticket.status",
            {"status": {"from": "waiting_customer", "to": "closed"}},
        ),
        (
            "ticket_priority",
            {"priority": "high"},
            "ticket.priority",
            {"priority": {"from": "normal", "to": "high"}},
        ),
    ]:
        entry = post(name, [n], data)
        check(entry, action=action, staff=staff, reason=n, account=acc, **facts)
        done.add(entry.action)
    return done | ticket_account_actions_audited(post, staff, acc, ticket)


def ticket_account_actions_audited(post, staff, acc, ticket) -> set[str]:
    """An unknown sender's ticket attached to the account, its sender verified, merged into the
    account's ticket; a canned answer written (docs/support.md)."""
    from hutor.support.actions import open_ticket
    from hutor.support.models import CannedAnswer
    from hutor.support.tests.data import department

    done: set[str] = set()
    stranger = open_ticket(
        subject="Account?",
        text="Hello",
        department=department(),
        billing_account=None,
        email="who@elsewhere.org",
    )
    n = stranger.number
    entry = post("ticket_attach", [n], {"account": acc.number, "confirm": "yes"})
    check(entry, action="ticket.attach", staff=staff, reason=n, account=acc)
    assert entry.changes["account"] == {"from": None, "to": acc.number}
    assert entry.changes["sender_verified"] is False
    done.add(entry.action)
    entry = post("ticket_verify", [n], {"confirm": "yes"})
    check(
        entry,
        action="ticket.verify",
        staff=staff,
        reason=n,
        account=acc,
        sender_verified={"from": False, "to": True},
    )
    done.add(entry.action)
    entry = post("ticket_merge", [n], {"into": ticket.number, "confirm": "yes"})
    check(
        entry,
        action="ticket.merge",
        staff=staff,
        reason=n,
        account=acc,
        merged_into=ticket.number,
    )
    done.add(entry.action)
    values = {"title": "Balance", "text_ru": "Баланс {balance}", "text_en": "Balance {balance}"}
    entry = post("canned_add", [], values | {"is_active": "on", "reason": "Common question"})
    check(entry, action="canned.save", staff=staff, reason="Common question")
    assert entry.object_id == str(CannedAnswer.objects.get(title="Balance").pk)
    assert entry.changes["text_ru"] == {"from": None, "to": "16 chars"}
    done.add(entry.action)
    return done


def kb_actions_audited(post, staff) -> set[str]:
    """The knowledge base's actions through their desk pages, each checked; returns their
    codes (docs/knowledge-base.md)."""
    from hutor.kb.models import Article, Category

    done: set[str] = set()
    names = {"name_ru": "Оплата", "name_en": "Payments", "slug": "payments", "position": "1"}
    entry = post("kb_category_add", [], names | {"reason": "Help center"})
    category = Category.objects.get(slug="payments")
    check(
        entry, action="kb.category", staff=staff, reason="Help center", slug=entry.changes["slug"]
    )
    assert entry.changes["slug"] == {"from": None, "to": "payments"}
    done.add(entry.action)
    article = {
        "category": category.pk,
        "title_ru": "Оплата",
        "slug_ru": "oplata",
        "body_ru": "Текст.",
        "title_en": "Paying",
        "slug_en": "paying",
        "body_en": "Text.",
        "position": "1",
    }
    entry = post("kb_article_add", [], article | {"reason": "FAQ"})
    written = Article.objects.get(slug_en="paying")
    check(entry, action="kb.edit", staff=staff, reason="FAQ")
    assert entry.object_id == str(written.pk)
    assert entry.changes["body_ru"] == {"from": None, "to": "6 chars"}
    done.add(entry.action)
    entry = post("kb_publish", [written.pk], {"reason": "Reviewed"})
    check(
        entry,
        action="kb.publish",
        staff=staff,
        reason="Reviewed",
        status={"from": "draft", "to": "published"},
    )
    done.add(entry.action)
    done |= guide_answers_audited(post, staff)
    return done


def guide_answers_audited(post, staff) -> set[str]:
    """A shipped guide article staff edited, and a newer shipped text: kept, then taken."""
    from hutor.kb import actions as kb
    from hutor.kb import guide
    from hutor.kb.models import Article

    guide.sync()
    article = Article.objects.get(guide_key="top-up")
    values = {name: getattr(article, name) for name in kb.ARTICLE_FIELDS}
    kb.save_article(article=article, values=values | {"body_en": "Our own words."})
    # As if the installed text came from an older release: the files' text is newer.
    Article.objects.filter(pk=article.pk).update(shipped_hash="0" * 64)
    shipped = guide.shipped()["top-up"].hash
    entry = post("kb_guide_keep", [article.pk], {"reason": "Ours is better"})
    check(entry, action="kb.guide", staff=staff, reason="Ours is better", choice="keep")
    assert entry.changes["shipped_hash"] == {"from": "0" * 64, "to": shipped}
    Article.objects.filter(pk=article.pk).update(shipped_hash="0" * 64)
    entry = post("kb_guide_take", [article.pk], {"reason": "New release"})
    check(entry, action="kb.guide", staff=staff, reason="New release", choice="take")
    assert entry.changes["body_en"] == {
        "from": "14 chars",
        "to": f"{len(guide.shipped()['top-up'].body_en)} chars",
    }
    article.refresh_from_db()
    assert article.body_en == guide.shipped()["top-up"].body_en
    assert guide.pending(article) is None
    return {entry.action}


def webhook_actions_audited(post, staff, acc, receiver) -> set[str]:
    """Webhooks through their desk pages: an endpoint added (its secret shown once), the secret
    shown again, a delivered event sent again; the secret is never in the audit."""
    import json

    from hutor.core.events import EventKind, publish
    from hutor.webhooks.delivery import deliver_due as deliver_webhooks
    from hutor.webhooks.models import Endpoint

    done: set[str] = set()
    entry = post(
        "webhook_add",
        [],
        {"url": receiver.url, "events": ["balance.adjusted"], "enabled": "on", "reason": "CRM"},
        expect=200,
    )
    check(entry, action="webhook.save", staff=staff, reason="CRM", secret="set")
    done.add(entry.action)
    endpoint = Endpoint.objects.get()
    receiver.secret = endpoint.secret.reveal()
    entry = post("webhook_secret", [endpoint.pk], {"reason": "Set up the CRM"}, expect=200)
    check(entry, action="webhook.secret", staff=staff, reason="Set up the CRM", secret="shown")
    assert receiver.secret not in json.dumps(entry.changes)
    done.add(entry.action)
    publish(EventKind.BALANCE_ADJUSTED, billing_account=acc, data={"account": acc.number})
    assert deliver_webhooks().delivered == 1
    delivery = endpoint.deliveries.get()
    entry = post("webhook_resend", [delivery.pk], {"reason": "CRM lost it"})
    check(
        entry,
        action="webhook.resend",
        staff=staff,
        reason="CRM lost it",
        webhook_id=delivery.event.webhook_id,
    )
    done.add(entry.action)
    return done


def invoice_actions_audited(post, staff, acc) -> set[str]:
    """A manual invoice issued through its desk page, checked; returns its code."""
    import uuid

    from hutor.invoices.models import Invoice

    entry = post(
        "invoice_create",
        [acc.number],
        {
            "line_1_description": "Перенос сайта",
            "line_1_quantity": "2",
            "line_1_price": "150,50",
            "reason": "Agreed by phone",
            "token": uuid.uuid4().hex,
        },
    )
    invoice = Invoice.objects.get(kind="manual", billing_account=acc)
    check(
        entry,
        action="invoice.create",
        staff=staff,
        reason="Agreed by phone",
        account=acc,
        invoice=invoice.number,
        amount="301.00 RUB",
        lines=1,
    )
    return {entry.action}


def offer_actions_audited(post, staff) -> set[str]:
    """The public offer's actions through their desk pages, each checked: a draft written (its
    text recorded as a length), then published (docs/public-offer.md)."""
    from hutor.core import clock
    from hutor.offers.models import Offer

    done: set[str] = set()
    draft = {
        "number": "2026/1",
        "effective_from": clock.today().isoformat(),
        "text_ru": "Текст оферты.",
        "text_en": "",
    }
    entry = post("offer_add", [], draft | {"reason": "New terms"})
    offer = Offer.objects.get(number="2026/1")
    check(entry, action="offer.edit", staff=staff, reason="New terms")
    assert entry.object_id == str(offer.pk)
    assert entry.changes["text_ru"] == {"from": None, "to": "13 chars"}
    done.add(entry.action)
    entry = post("offer_publish", [offer.pk], {"reason": "Approved"})
    check(
        entry,
        action="offer.publish",
        staff=staff,
        reason="Approved",
        status={"from": "draft", "to": "published"},
    )
    done.add(entry.action)
    return done


def tax_actions_audited(post, staff) -> set[str]:
    """The tax rules' actions through their desk pages, each checked: a rule for next year
    added (the 5 % rate filled in by the form), then withdrawn before it takes effect."""
    import datetime as dt

    from hutor.core import clock
    from hutor.taxes.models import TaxRule

    done: set[str] = set()
    day = dt.date(clock.today().year + 1, 1, 1)
    values = {"regime": "simplified_vat5", "rate": "", "effective_from": day.isoformat()}
    entry = post("tax_rule_add", [1], values | {"reason": "Income past the threshold"})
    rule = TaxRule.objects.get(provider_id=1, effective_from=day)
    check(
        entry,
        action="tax.rule_add",
        staff=staff,
        reason="Income past the threshold",
        regime={"from": None, "to": "simplified_vat5"},
        rate={"from": None, "to": "5"},
    )
    assert entry.object_id == str(rule.pk)
    done.add(entry.action)
    entry = post("tax_rule_withdraw", [rule.pk], {"reason": "Entered by mistake"})
    check(entry, action="tax.rule_withdraw", staff=staff, reason="Entered by mistake")
    assert entry.changes["effective_from"] == {"from": day.isoformat(), "to": None}
    assert not TaxRule.objects.filter(pk=rule.pk).exists()
    done.add(entry.action)
    return done


def failed_fiscal_receipt(world):
    """A 54-ФЗ receipt of a demo payment by the world's individual customer, given up by the
    worker (the operator unreachable), for the receipt pages and their "retry now"."""
    from hutor.core.models import Provider
    from hutor.core.money import Money
    from hutor.fiscal.models import CashRegister, FiscalReceipt, ReceiptStatus
    from hutor.payments.actions import credit_payment, start_top_up

    found = FiscalReceipt.objects.filter(payment__billing_account=world.other).first()
    if found is not None:
        return found
    provider = Provider.current() or Provider.objects.create(
        pk=1,
        legal_name="ООО «Тестовый Хостинг»",
        short_name="Тестовый Хостинг",
        inn="7707083893",
        address="Москва",
        bank_name="ПАО Сбербанк",
        bik="044525225",
        correspondent_account="30101810400000000225",
        settlement_account="40702810938000000001",
    )
    CashRegister.objects.get_or_create(
        provider=provider,
        defaults={
            "login": "v5-test",
            "password": "secret",
            "group_code": "v5-test_1",
            "base_url": "http://127.0.0.1:9/possystem/v5/",
            "payment_address": "https://test-hosting.ru",
        },
    )
    payment = start_top_up(
        billing_account=world.other, method=world.methods.demo, amount=Money("150.00")
    )
    credit_payment(payment=payment, transaction_id="demo-fiscal-1", amount=payment.money)
    receipt = FiscalReceipt.objects.get(payment=payment)
    # What the worker leaves after its last try (core.queue.retry_or_give_up).
    FiscalReceipt.objects.filter(pk=receipt.pk).update(
        status=ReceiptStatus.FAILED, attempts=7, next_attempt_at=None, last_error="HTTP 503"
    )
    receipt.refresh_from_db()
    return receipt


def fiscal_actions_audited(post, staff, world) -> set[str]:
    """A failed receipt sent again through its desk page ("retry now"), checked."""
    from hutor.fiscal.models import ReceiptStatus

    receipt = failed_fiscal_receipt(world)
    entry = post("fiscal_retry", [receipt.pk], {"reason": "The operator is back"})
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.QUEUED and receipt.attempts == 0
    check(
        entry,
        action="fiscal.retry",
        staff=staff,
        reason="The operator is back",
        account=world.other,
        receipt=receipt.pk,
        external_id=receipt.external_id,
    )
    return {entry.action}


def closing_actions_audited(post, staff, acc) -> set[str]:
    """A month closed again at the desk (docs/documents-and-taxes.md): audited with the month
    and what it issued (here nothing: the account had no services rendered in it)."""
    entry = post("closing_regenerate", [acc.number], {"month": "2025-12", "reason": "Refund"})
    check(
        entry,
        action="documents.regenerate_month",
        staff=staff,
        reason="Refund",
        account=acc,
        month="2025-12",
        closing_document=None,
    )
    return {entry.action}


def company_actions_audited(post, staff) -> set[str]:
    """A provider company added at the desk (docs/documents-and-taxes.md): audited with its
    requisites, the kinds it bills and its bank accounts."""
    entry = post(
        "company_add",
        [],
        {
            "legal_name": "ООО «Второй Хостинг»",
            "short_name": "Второй Хостинг",
            "inn": "7728168971",
            "address": "г. Москва",
            "customer_kinds": ["company"],
            "prices_include_vat": "on",
            "bank_name_1": "АО «Т-Банк»",
            "bik_1": "044525974",
            "account_1": "40702810600000000777",
            "correspondent_account_1": "30101810145250000974",
            "primary": "1",
            "reason": "Second legal entity",
        },
    )
    check(
        entry,
        action="company.save",
        staff=staff,
        reason="Second legal entity",
        customer_kinds={"from": None, "to": ["company"]},
        bank_accounts={"from": None, "to": ["044525974 40702810600000000777 *"]},
    )
    return {entry.action}


def cancel_refund_audited(post, staff, acc, world) -> set[str]:
    """A service cancelled by the desk with its unused paid days given back: a month of
    «Профи» (499.00) paid today, cancelled today, gives back all of it."""
    from hutor.ledger.actions import clearing_account, customer_account
    from hutor.ledger.actions import post as ledger_post
    from hutor.ledger.models import EntryKind
    from hutor.services.actions import place_order
    from hutor.services.models import ServiceStatus

    money = Money("499.00", acc.currency)
    ledger_post(
        lines=[(clearing_account("test", acc.currency), -money), (customer_account(acc), money)],
        kind=EntryKind.TOP_UP,
        reference="T-cancel",
        billing_account=acc,
    )
    service = place_order(
        billing_account=acc,
        price=world.catalog.price(world.catalog.pro, 1),
        identifier="cancel.romashka.ru",
    )
    before = ledger_queries.balance(acc)
    # A figure that is not the quote's (the customer saw another): 409, nothing moves.
    post("service_cancel_refund", [service.pk], {"amount": "1.00", "reason": "x"}, expect=409)
    assert ledger_queries.balance(acc) == before
    entry = post(
        "service_cancel_refund", [service.pk], {"amount": "499.00", "reason": "Asked by phone"}
    )
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED
    assert ledger_queries.balance(acc) == before + money
    check(
        entry,
        action="service.cancel_refund",
        staff=staff,
        reason="Asked by phone",
        account=acc,
        amount="499.00 RUB",
        status={"from": "active", "to": "terminated"},
    )
    return {entry.action}


def other_actions_audited(post, staff, acc, world) -> set[str]:
    """The actions of the desk's other apps, each through its pages and checked: tickets,
    invoices, help articles (a category, an article, its publication), the public offer (a
    draft, its publication), tax rules (added, withdrawn), a failed 54-ФЗ receipt sent again,
    a month's act closed again, a provider company added."""
    done = ticket_actions_audited(post, staff, acc)
    done |= invoice_actions_audited(post, staff, acc)
    done |= kb_actions_audited(post, staff)
    done |= offer_actions_audited(post, staff)
    done |= tax_actions_audited(post, staff)
    done |= fiscal_actions_audited(post, staff, world)
    done |= closing_actions_audited(post, staff, acc)
    done |= company_actions_audited(post, staff)
    done |= cancel_refund_audited(post, staff, acc, world)
    return done
