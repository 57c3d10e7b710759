"""The bank import with several provider companies (issue 17, part 6): a statement of company
B's settlement account is accepted, each of its lines is attributed to B (the company whose
account received it) and credits the customer's one balance, the money booked on B's bank
account in the ledger and recorded under B's bank-transfer method when B has one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hutor.core.tests.companies import B_ACCOUNT, company_b
from hutor.ledger.models import LedgerAccount
from hutor.payments.bank import actions
from hutor.payments.models import Gateway, PaymentMethod, PaymentStatus
from hutor.payments.tests.test_bank_statement import (
    _text,
    assert_ledger_clean,
    balance,
    by_number,
    customers,
    english,
)

pytestmark = pytest.mark.django_db
__all__ = ["customers", "english"]  # fixtures

A_ACCOUNT = "40702810938000000001"  # the conftest's default company's, in the test statements


def test_a_line_to_company_b_s_account_credits_and_is_b_s(customers):
    b = company_b()
    b_method = PaymentMethod.objects.create(
        slug="bank-b",
        gateway=Gateway.BANK_TRANSFER,
        name_ru="Банк Б",
        name_en="Bank B",
        currency="RUB",
        company=b,
    )
    text = _text().replace(A_ACCOUNT, B_ACCOUNT)
    stmt = actions.import_statement(content=text.encode("cp1251"), file_name="b.txt")
    assert not stmt.is_rejected, stmt.rejected_text
    (line,) = by_number(stmt)["1"]  # Ivanov's 1500.00, quoting his payment 20000001
    assert line.status == "credited" and line.company == b
    assert line.recipient_account == B_ACCOUNT
    payment = customers["payment"]
    payment.refresh_from_db()
    assert line.payment == payment and payment.status == PaymentStatus.SUCCEEDED
    assert balance(customers["ivanov"]) == Decimal("1500.00")
    credited = [ln for ln in stmt.lines.all() if ln.status == "credited"]
    assert credited and all(ln.company == b for ln in credited)
    b_bank = LedgerAccount.objects.get(code=f"bank:{B_ACCOUNT}")
    assert not LedgerAccount.objects.filter(code=f"bank:{A_ACCOUNT}").exists()
    assert b_bank.balance == -sum(ln.amount for ln in credited)
    # A payment found by the line (not the quoted one) is recorded under B's method.
    assert {ln.payment.method for ln in credited if ln.payment != payment} == {b_method}
    assert_ledger_clean()


def test_the_default_company_s_lines_stay_the_default_s(customers, provider):
    company_b()
    stmt = actions.import_statement(content=_text().encode("cp1251"), file_name="a.txt")
    credited = [ln for ln in stmt.lines.all() if ln.status == "credited"]
    assert credited and all(ln.company == provider for ln in credited)
    assert not LedgerAccount.objects.filter(code=f"bank:{B_ACCOUNT}").exists()
