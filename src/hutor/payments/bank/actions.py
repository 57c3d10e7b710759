"""Money that arrives on the provider's bank account: statement import, the unmatched queue
and payments recorded by hand, each credited to a balance exactly once.

Every credited bank document becomes
* one journal entry `bank:<settlement account>` -> the customer's balance (kind TOP_UP,
  reference «п/п № 123 от 20.11.2026»), then the account's open invoices are settled and the
  "payment credited" email is queued, in the same transaction;
* one *succeeded* Payment of the bank-transfer method: the customer's pending payment when the
  purpose quotes it (same account and amount), a new one otherwise. Either way its
  `gateway_transaction_id` is the document's idempotency key, so the customer's payments list
  and the email show it like any other top-up;
* one BankStatementLine that owns the key (statement lines, and manual payments with no
  statement).

The key is `bank:<date>:<number>:<payer's account>:<amount>` for a statement document
(statement.BankDocument.key) and `manual:<reference>` for a manual payment. It is unique three
times over: on the line (a document seen again is a *duplicate* of the line that owns it), on
the Payment (method, transaction id) and on the journal entry. Re-importing a statement, two
overlapping statements, two accountants assigning the same line at once: one credit at most.

Each document is imported in its own transaction: a crash half-way leaves the documents before
it imported, and importing the file again finishes the rest (the others come out duplicates).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.accounts.models import BillingAccount
from hutor.core import clock
from hutor.core import companies as core_companies
from hutor.core.models import Provider
from hutor.core.money import Money
from hutor.core.sequences import next_value
from hutor.invoices.actions import settle_open_invoices
from hutor.invoices.models import Invoice
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind
from hutor.notifications.actions import enqueue
from hutor.payments import events as payment_events
from hutor.payments import numbers as payment_numbers
from hutor.payments.bank import matching
from hutor.payments.bank.reasons import Reason, pack, render
from hutor.payments.bank.statement import BankDocument, Section, StatementRejected, parse
from hutor.payments.exceptions import PaymentError
from hutor.payments.models import (
    BankLineStatus,
    BankStatement,
    BankStatementLine,
    Gateway,
    Payment,
    PaymentMethod,
    PaymentStatus,
)

if TYPE_CHECKING:
    from hutor.accounts.models import User

log = logging.getLogger("hutor.payments.bank")

# 1C statements of a rouble account are in roubles.
STATEMENT_CURRENCY = "RUB"
MANUAL_KIND = "Ручной ввод"
MAX_REFERENCE = 64  # JournalEntry.reference
# How far apart a manual payment and a statement document may be dated and still look alike.
SIMILAR_DAYS = 10


class BankActionRefused(PaymentError):
    """An accountant's request that cannot be done (the message says why, in the active
    language); nothing changed. `code` and `params` say it again for storing (reasons.py)."""

    def __init__(self, message: str, code: str = "", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params

    def as_reason(self) -> Reason:
        if self.code:
            return Reason(self.code, self.params)
        return Reason("refused", {"message": str(self)})  # pragma: no cover - all stored ones coded


class ManualPaymentConflict(BankActionRefused):
    """The reference is already recorded for another account, amount or date."""


def bank_method(
    currency: str = STATEMENT_CURRENCY, company: Provider | None = None
) -> PaymentMethod:
    """The bank-transfer payment method that bank payments are recorded under: the receiving
    company's own when it has one, else one belonging to no company in particular."""
    methods = PaymentMethod.objects.filter(gateway=Gateway.BANK_TRANSFER, currency=currency)
    if company is not None:
        methods = methods.filter(Q(company=company) | Q(company__isnull=True))
    method = methods.order_by(
        F("company").desc(nulls_last=True), "-is_enabled", "position", "pk"
    ).first()
    if method is None:
        raise BankActionRefused(
            render(Reason("no_bank_method", {"currency": currency})),
            "no_bank_method",
            currency=currency,
        )
    return method


def _provider() -> Provider:
    provider = Provider.current()
    if provider is None:
        raise BankActionRefused(
            render(Reason("provider_not_configured")), "provider_not_configured"
        )
    return provider


# --- Crediting ----------------------------------------------------------------------------------


def _credit(
    *,
    billing_account: BillingAccount,
    money: Money,
    key: str,
    reference: str,
    payer: str,
    settlement_account: str,
    method: PaymentMethod,
    quoted: Payment | None = None,
    user: User | None = None,
) -> tuple[Payment, Reason | None]:
    """Credit a bank document in the caller's transaction; return its Payment and a note (why
    the quoted payment was not the one marked succeeded), if any.

    `quoted` is the payment the purpose names: it is the one marked succeeded when it is a
    bank-transfer payment of this account and amount still waiting (pending, or expired: the
    money came anyway); otherwise a new succeeded Payment records the credit.
    """
    lock_billing_account(billing_account)
    note: Reason | None = None
    pending: Payment | None = None
    if quoted is not None:
        pending = Payment.objects.select_for_update().select_related("method").get(pk=quoted.pk)
        quoted_number = {"payment": pending.number}
        if pending.billing_account_id != billing_account.pk:
            note = Reason("payment_other_account", quoted_number)
        elif pending.method.gateway != Gateway.BANK_TRANSFER:
            note = Reason("payment_other_method", {**quoted_number, "method": pending.method.slug})
        elif pending.status not in (PaymentStatus.PENDING, PaymentStatus.EXPIRED):
            note = Reason("payment_not_waiting", {**quoted_number, "status": pending.status})
        elif pending.money != money:
            note = Reason(
                "payment_other_amount",
                {**quoted_number, "expected": str(pending.money), "paid": str(money)},
            )
        if note is not None:
            pending = None
    number = (
        pending.number
        if pending
        else payment_numbers.format_number(
            next_value(payment_numbers.SEQUENCE_NAME, start=payment_numbers.FIRST_NUMBER)
        )
    )
    entry, created = ledger.post(
        lines=[
            (ledger.bank_account(settlement_account, money.currency), -money),
            (ledger.customer_account(billing_account), money),
        ],
        kind=EntryKind.TOP_UP,
        memo=f"Bank transfer {reference} from {payer}, payment {number}",
        reference=reference[:MAX_REFERENCE],
        billing_account=billing_account,
        idempotency_key=key,
        created_by=user,
    )
    if not created:
        # The line that owns the key makes this unreachable; the ledger's key is the last guard.
        raise BankActionRefused(
            _("the bank document %(reference)s was credited before") % {"reference": reference}
        )
    now = clock.now()
    if pending is not None:
        pending.status = PaymentStatus.SUCCEEDED
        pending.gateway_transaction_id = key
        pending.credit_entry = entry
        pending.completed_at = now
        pending.save(
            update_fields=["status", "gateway_transaction_id", "credit_entry", "completed_at"]
        )
        payment = pending
    else:
        payment = Payment.objects.create(
            number=number,
            billing_account=billing_account,
            method=method,
            amount=money.amount,
            currency=money.currency,
            status=PaymentStatus.SUCCEEDED,
            created_at=now,
            expires_at=now,
            completed_at=now,
            gateway_transaction_id=key,
            credit_entry=entry,
        )
    payment_events.credited(payment)
    settled = settle_open_invoices(billing_account=billing_account)
    enqueue(
        key=f"payment-credited:{payment.number}",
        template="payment_credited",
        billing_account=billing_account,
        params={"payment": payment.number, "invoices": [i.number for i in settled]},
    )
    log.info("bank document %s credited to %s: %s", reference, billing_account.number, money)
    return payment, note


# --- Statement import ---------------------------------------------------------------------------


def import_statement(
    *, content: bytes, file_name: str, uploaded_by: User | None = None
) -> BankStatement:
    """Import a 1C bank statement; return it with its report (`is_rejected` when the whole
    file was refused: then nothing is read and nothing credited).

    Incoming payments to our accounts are matched (bank/matching.py) and credited once;
    outgoing ones are skipped; unmatched ones wait in the queue; malformed documents are
    rejected one by one, with their reasons.
    """
    statement = BankStatement(
        file_name=file_name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_at=clock.now(),
        uploaded_by=uploaded_by,
    )
    previous = list(
        BankStatement.objects.filter(sha256=statement.sha256).values_list("pk", flat=True)
    )
    try:
        parsed = parse(content)
        provider = _provider()
        main = provider.settlement_account
        # Every provider company's accounts are ours; a statement of one of them is accepted.
        companies = core_companies.accounts()
        if parsed.accounts and not set(parsed.accounts) & set(companies):
            raise StatementRejected(
                "wrong_settlement_account", accounts=list(parsed.accounts), main=main
            )
        ours = {*companies, *parsed.accounts}
        # An account the statement declares but no company lists: the default company's.
        companies = {account: provider for account in parsed.accounts} | companies
        method = bank_method()
    except (StatementRejected, BankActionRefused) as exc:
        reason = exc.reason if isinstance(exc, StatementRejected) else exc.as_reason()
        statement.rejected_code, statement.rejected_params = reason.code, dict(reason.params)
        statement.report = {
            "file": file_name,
            "rejected": reason.as_json(),
            "previous_imports": previous,
        }
        statement.save()
        log.warning("bank statement %s rejected: %s %s", file_name, reason.code, reason.params)
        return statement

    statement.encoding = parsed.encoding
    statement.period_start = parsed.period_start
    statement.period_end = parsed.period_end
    statement.save()
    lines = [
        _import_section(statement, section, ours, method, companies) for section in parsed.sections
    ]
    counts = Counter(line.status for line in lines)
    statement.documents_count = len(lines)
    statement.credited_count = counts[BankLineStatus.CREDITED]
    statement.duplicate_count = counts[BankLineStatus.DUPLICATE]
    statement.unmatched_count = counts[BankLineStatus.UNMATCHED]
    statement.skipped_count = counts[BankLineStatus.SKIPPED]
    statement.rejected_count = counts[BankLineStatus.REJECTED]
    statement.report = {
        "file": file_name,
        "encoding": parsed.encoding,
        "declared_encoding": parsed.declared_encoding,
        "accounts": sorted(ours),
        "warnings": [warning.as_json() for warning in parsed.warnings],
        "previous_imports": previous,
        "lines": [_line_report(line) for line in lines],
    }
    statement.save()
    log.info(
        "bank statement %s imported: %s credited, %s duplicates, %s unmatched, %s skipped, "
        "%s rejected",
        file_name,
        statement.credited_count,
        statement.duplicate_count,
        statement.unmatched_count,
        statement.skipped_count,
        statement.rejected_count,
    )
    return statement


def _line_report(line: BankStatementLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "position": line.position,
        "document": _reference(line),
        "kind": line.document_kind,
        "number": line.document_number,
        "date": line.document_date.strftime("%d.%m.%Y") if line.document_date else None,
        "amount": f"{line.amount:.2f}" if line.amount is not None else None,
        "payer": line.payer_name,
        "status": line.status,
        "rule": line.match_rule,
        "account": line.billing_account.number if line.billing_account else None,
        "payment": line.payment.number if line.payment else None,
        "reason": {"code": line.reason_code, "params": line.reason_params},
    }


def _reference(line: BankStatementLine) -> str:
    if line.statement_id is None:
        return line.document_number
    short = {"платежное поручение": "п/п", "банковский ордер": "б/о"}.get(
        line.document_kind.lower().replace("ё", "е"), line.document_kind or "док."
    )
    date = line.document_date.strftime("%d.%m.%Y") if line.document_date else "?"
    return f"{short} № {line.document_number or '?'} от {date}"


def _import_section(
    statement: BankStatement,
    section: Section,
    ours: set[str],
    method: PaymentMethod,
    companies: dict[str, Provider],
) -> BankStatementLine:
    fields = section.fields
    line = BankStatementLine(
        statement=statement,
        position=section.position,
        document_kind=section.kind[:100],
        document_number=fields.get("Номер", "")[:64],
        payer_name=(fields.get("Плательщик1") or fields.get("Плательщик", ""))[:300],
        payer_inn=fields.get("ПлательщикИНН", "")[:20],
        payer_account=fields.get("ПлательщикСчет", "")[:34],
        recipient_account=fields.get("ПолучательСчет", "")[:34],
        purpose=fields.get("НазначениеПлатежа", ""),
        raw=section.raw,
        currency=STATEMENT_CURRENCY,
        created_at=clock.now(),
    )
    doc = section.document
    if doc is None:
        line.status = BankLineStatus.REJECTED
        line.reason_code, line.reason_params = pack(
            [
                Reason(
                    "document_rejected",
                    {
                        "position": section.position,
                        "line": section.line,
                        "errors": [error.as_json() for error in section.errors],
                    },
                )
            ]
        )
        line.save()
        return line
    line.document_date = doc.date
    line.amount = doc.amount
    if doc.recipient_account not in ours or doc.payer_account in ours:
        line.status = BankLineStatus.SKIPPED
        if doc.recipient_account in ours:
            line.reason_code = "own_transfer"
        elif doc.payer_account in ours:
            line.reason_code = "outgoing"
            line.reason_params = {"account": doc.payer_account}
        else:
            line.reason_code = "not_addressed"
            line.reason_params = {"account": doc.recipient_account}
        line.save()
        return line
    # The company whose account received it: the line is its, recorded under its method.
    line.company = companies.get(doc.recipient_account)
    assert line.company is not None  # ours: listed by a company or declared (the default's)
    if line.company.pk != method.company_id:
        method = bank_method(company=line.company)
    with transaction.atomic():
        owner = BankStatementLine.objects.filter(idempotency_key=doc.key).first()
        if owner is None:
            line.idempotency_key = doc.key
            line.status = BankLineStatus.UNMATCHED
            try:
                with transaction.atomic():
                    line.save()
            except IntegrityError:  # the same document, imported at this moment by another
                line.idempotency_key = None
                owner = BankStatementLine.objects.get(idempotency_key=doc.key)
        if owner is not None:
            line.status = BankLineStatus.DUPLICATE
            line.duplicate_of = owner
            line.reason_code, line.reason_params = _seen_before(owner)
            line.save()
            return line
        _match_and_credit(line, doc, method)
    return line


def _seen_before(owner: BankStatementLine) -> tuple[str, dict[str, Any]]:
    if owner.statement_id:
        params = {"line": owner.pk, "statement": owner.statement_id, "status": owner.status}
        return "duplicate_of_statement", params
    return "duplicate_of_manual", {"line": owner.pk, "status": owner.status}


def _match(doc: BankDocument) -> matching.Match | matching.NoMatch:
    found = matching.extract(doc.purpose)
    payments = dict(
        Payment.objects.filter(number__in=found.payments).values_list(
            "number", "billing_account__number"
        )
    )
    invoices = dict(
        Invoice.objects.filter(number__in=found.invoices).values_list(
            "number", "billing_account__number"
        )
    )
    accounts = set(
        BillingAccount.objects.filter(
            number__in=[ref.number for ref in found.accounts if ref.valid]
        ).values_list("number", flat=True)
    )
    inn_accounts: list[str] = []
    if matching.is_inn(doc.payer_inn):
        inn_accounts = list(
            BillingAccount.objects.filter(inn=doc.payer_inn)
            .order_by("number")
            .values_list("number", flat=True)[:10]
        )
    return matching.decide(
        found,
        payments=payments,
        invoices=invoices,
        accounts=accounts,
        payer_inn=doc.payer_inn,
        inn_accounts=inn_accounts,
    )


def _match_and_credit(line: BankStatementLine, doc: BankDocument, method: PaymentMethod) -> None:
    """Match a new incoming line (saved unmatched, owning its key) and credit it if it matches."""
    decision = _match(doc)
    if isinstance(decision, matching.NoMatch):
        line.reason_code, line.reason_params = pack(decision.reasons)
        line.save(update_fields=["reason_code", "reason_params"])
        return
    account = BillingAccount.objects.get(number=decision.account)
    money = Money(doc.amount, STATEMENT_CURRENCY)
    problem: Reason | None = None
    matched = {"rule": decision.rule, "account": account.number}
    if account.currency != money.currency:
        problem = Reason("not_credited_currency", {**matched, "currency": account.currency})
    else:
        similar = _similar_manual_payment(account, money, doc)
        if similar is not None:
            problem = Reason(
                "not_credited_similar_manual",
                {**matched, "reference": similar.document_number, "line": similar.pk},
            )
    if problem is not None:
        line.billing_account = account
        line.reason_code, line.reason_params = pack([problem, *decision.notes])
        line.save(update_fields=["billing_account", "reason_code", "reason_params"])
        return
    quoted = Payment.objects.get(number=decision.payment) if decision.payment else None
    payment, note = _credit(
        billing_account=account,
        money=money,
        key=doc.key,
        reference=doc.reference,
        payer=doc.payer_name or doc.payer_inn or "?",
        settlement_account=doc.recipient_account,
        method=method,
        quoted=quoted,
    )
    line.status = BankLineStatus.CREDITED
    line.billing_account = account
    line.payment = payment
    line.match_rule = decision.rule
    line.reason_code, line.reason_params = pack([*([note] if note else []), *decision.notes])
    line.save(
        update_fields=[
            "status",
            "billing_account",
            "payment",
            "match_rule",
            "reason_code",
            "reason_params",
        ]
    )


def _mentions(text: str, number: str) -> bool:
    number = number.lstrip("0") or "0"
    return re.search(rf"(?<!\d)0*{re.escape(number)}(?!\d)", text) is not None


def _similar_manual_payment(
    account: BillingAccount, money: Money, doc: BankDocument
) -> BankStatementLine | None:
    """A manual payment that may be this statement document recorded by hand earlier: same
    account and amount, a date close by, a reference quoting the document's number."""
    near = doc.received_on or doc.date
    for line in BankStatementLine.objects.filter(
        statement__isnull=True,
        billing_account=account,
        amount=money.amount,
        status=BankLineStatus.CREDITED,
        document_date__range=(
            doc.date - dt.timedelta(days=SIMILAR_DAYS),
            near + dt.timedelta(days=SIMILAR_DAYS),
        ),
    ):
        if _mentions(line.document_number, doc.number):
            return line
    return None


def _resolve(line: BankStatementLine, reason: str, user: User | None) -> None:
    line.resolved_by = user
    line.resolved_at = clock.now()
    line.resolution_reason = reason[:500]


# --- Manual payments ----------------------------------------------------------------------------


# Manual payments live beside, in bank/manual.py, the unmatched queue in bank/unmatched.py and
# the report's words in bank/report.py; imported here so callers keep one address.
from hutor.payments.bank.manual import (  # noqa: E402, F401
    BY_AMOUNT,
    manual_key,
    record_manual_payment,
    waiting_top_ups,
)
from hutor.payments.bank.report import report_text  # noqa: E402, F401
from hutor.payments.bank.unmatched import assign_line, mark_not_ours  # noqa: E402, F401
