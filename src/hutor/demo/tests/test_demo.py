import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from hutor.accounts.models import BillingAccount, User
from hutor.accounts.requisites import inn_is_valid
from hutor.catalog.models import BillingUnit, ServiceType, Tariff, TariffFeature, TariffPrice
from hutor.core.models import Provider, Sequence
from hutor.demo import data
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry, LedgerAccount, Posting
from hutor.taxes.calculations import TaxTerms
from hutor.taxes.models import TaxRegime
from hutor.taxes.queries import terms_on

pytestmark = pytest.mark.django_db

COUNTED = (
    ServiceType,
    Tariff,
    TariffFeature,
    TariffPrice,
    Provider,
    User,
    BillingAccount,
    LedgerAccount,
    JournalEntry,
    Posting,
)


def snapshot() -> dict[str, object]:
    counts: dict[str, object] = {model.__name__: model.objects.count() for model in COUNTED}
    counts["sequences"] = sorted(Sequence.objects.values_list("name", "next_value"))
    counts["balances"] = sorted(LedgerAccount.objects.values_list("code", "balance"))
    return counts


def load() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_loading_twice_changes_nothing():
    load()
    first = snapshot()
    load()
    assert snapshot() == first
    assert first["User"] == 2 and first["BillingAccount"] == 1 and first["JournalEntry"] == 1


def test_catalog_has_the_five_service_lines_priced():
    load()
    assert set(ServiceType.objects.values_list("code", flat=True)) == {
        "hosting",
        "domain",
        "vps",
        "ssl",
        "admin",
    }
    assert ServiceType.objects.get(code="domain").billing_unit == BillingUnit.YEAR
    assert ServiceType.objects.get(code="admin").identifier_kind == "none"
    for tariff in Tariff.objects.all():
        assert tariff.prices.filter(is_active=True).exists(), tariff.code
        assert tariff.name_ru and tariff.name_en, tariff.code
    assert set(
        Tariff.objects.filter(service_type__code="domain").values_list("code", flat=True)
    ) >= {"ru", "rf", "su", "com", "net", "org"}


def test_longer_periods_cost_less_per_month_and_domains_are_sold_by_years():
    load()
    for tariff in Tariff.objects.prefetch_related("prices"):
        prices = sorted(tariff.prices.all(), key=lambda p: p.period_months)
        monthly = [p.monthly_price for p in prices]
        assert monthly == sorted(monthly, reverse=True), tariff.code
        if tariff.service_type.billing_unit == BillingUnit.YEAR:
            assert all(p.period_months % 12 == 0 for p in prices), tariff.code
        for price in prices:
            assert price.price == price.price.quantize(Decimal("0.01"))
    assert TariffPrice.objects.filter(setup_fee__gt=0, tariff__service_type__code="vps").exists()


def test_provider_requisites_are_valid():
    load()
    provider = Provider.current()
    assert provider is not None
    assert inn_is_valid(provider.inn) and len(provider.inn) == 10
    assert len(provider.kpp) == 9 and len(provider.ogrn) == 13
    assert int(provider.ogrn[:12]) % 11 % 10 == int(provider.ogrn[12])
    assert provider.bik.startswith("04") and len(provider.bik) == 9
    assert provider.correspondent_account.startswith("30101")
    assert provider.settlement_account.startswith("40702")
    assert terms_on(provider.pk, dt.date(2026, 1, 1)) == TaxTerms(TaxRegime.SIMPLIFIED, None)
    weights = (7, 1, 3) * 8
    for prefix, number in [
        ("0" + provider.bik[4:6], provider.correspondent_account),
        (provider.bik[-3:], provider.settlement_account),
    ]:
        assert len(number) == 20
        digits = prefix + number
        assert sum(int(d) * w % 10 for d, w in zip(digits, weights, strict=False)) % 10 == 0


def test_demo_customer_has_1500_after_two_runs_and_the_ledger_checks_out():
    load()
    output = load()
    account = BillingAccount.objects.get(user__email=data.CUSTOMER_EMAIL)
    assert account.name == "Иван Петров"
    assert account.user.check_password(data.CUSTOMER_PASSWORD)
    assert ledger_queries.balance(account).amount == Decimal("1500.00")
    assert ledger_queries.total_credited(account).amount == Decimal("1500.00")
    assert account.number in output
    call_command("ledger", "check", stdout=StringIO())  # exits 1 on a broken invariant


def test_staff_user_and_printed_credentials(monkeypatch):
    monkeypatch.delenv("HUTOR_DEMO_ADMIN_PASSWORD", raising=False)
    output = load()
    admin = User.objects.get(email=data.ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(data.DEFAULT_ADMIN_PASSWORD)
    assert not hasattr(admin, "billing_account")
    for text in ("/admin/", "/desk/", data.ADMIN_EMAIL, "hutor-admin", data.CUSTOMER_EMAIL):
        assert text in output
    # The panel's address as the README gives it (issue 12, item 18), not only its login page.
    assert "Customer:   http://127.0.0.1:8000/panel/" in output


def test_admin_password_from_the_environment(monkeypatch):
    load()
    monkeypatch.setenv("HUTOR_DEMO_ADMIN_PASSWORD", "another-secret-9")
    load()
    assert User.objects.get(email=data.ADMIN_EMAIL).check_password("another-secret-9")


def test_an_existing_login_with_the_demo_email_is_left_alone():
    User.objects.create_user(email=data.CUSTOMER_EMAIL, password="mine")
    output = load()
    assert not BillingAccount.objects.exists()
    assert not JournalEntry.objects.exists()
    assert User.objects.get(email=data.CUSTOMER_EMAIL).check_password("mine")
    assert "no demo customer" in output
