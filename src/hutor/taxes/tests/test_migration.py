"""The provider's one VAT rate becomes its first tax rule, and invoices issued before keep the
VAT they printed (computed on the total, as the document did then)."""

import datetime as dt
from decimal import Decimal

import pytest

from hutor.testing import migrate_to

BEFORE = [("taxes", "0001_initial"), ("invoices", "0003_restore_line")]
AFTER = [("core", "0005_remove_provider_vat_rate"), ("invoices", "0005_tax_terms_of_issued")]


@pytest.mark.django_db(transaction=True)
def test_the_vat_rate_becomes_the_first_rule_and_issued_invoices_keep_their_vat():
    apps = migrate_to(BEFORE)
    Provider = apps.get_model("core", "Provider")
    provider = Provider.objects.create(
        pk=1, legal_name="ООО «Х»", short_name="Х", inn="7707083893", address="Москва",
        bank_name="Банк", bik="044525225", correspondent_account="30101810400000000225",
        settlement_account="40702810938000000001", vat_rate=Decimal("20.00"),
    )  # fmt: skip
    User = apps.get_model("accounts", "User")
    BillingAccount = apps.get_model("accounts", "BillingAccount")
    account = BillingAccount.objects.create(
        number="1000009",
        user=User.objects.create(email="old@example.com"),
        contact_email="old@example.com",
        created_at=dt.datetime.now(dt.UTC),
    )
    Invoice = apps.get_model("invoices", "Invoice")
    today = dt.date(2025, 6, 1)
    common = dict(
        billing_account=account, kind="order", issued_at=dt.datetime.now(dt.UTC),
        issue_date=today, due_date=today, payer={}, provider={},
    )  # fmt: skip
    taxed = Invoice.objects.create(number="25-000001", total="1990.00", vat_rate=20, **common)
    untaxed = Invoice.objects.create(number="25-000002", total="199.00", **common)

    apps = migrate_to(AFTER)
    [rule] = apps.get_model("taxes", "TaxRule").objects.all()
    assert (rule.provider_id, rule.regime, rule.rate) == (provider.pk, "general", 20)
    assert rule.effective_from == dt.date(2000, 1, 1)
    Invoice = apps.get_model("invoices", "Invoice")
    taxed, untaxed = Invoice.objects.get(pk=taxed.pk), Invoice.objects.get(pk=untaxed.pk)
    assert (taxed.tax_regime, taxed.vat_amount) == ("general", Decimal("331.67"))  # 1990 / 6
    assert (untaxed.tax_regime, untaxed.vat_rate, untaxed.vat_amount) == ("simplified", None, None)

    migrate_to()
