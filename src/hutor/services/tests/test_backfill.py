"""Migration 0004 records the paid time of services paid before paid periods existed."""

import datetime as dt
import itertools

import pytest

from hutor.testing import migrate_to

BEFORE = [("services", "0003_billing_lifecycle_and_task_queue")]
AFTER = [("services", "0004_paid_periods_tariff_changes_events")]


@pytest.mark.django_db(transaction=True)
def test_backfill_values_the_paid_time_at_the_tariffs_price():
    apps = migrate_to(BEFORE)
    ServiceType = apps.get_model("catalog", "ServiceType")
    Tariff = apps.get_model("catalog", "Tariff")
    TariffPrice = apps.get_model("catalog", "TariffPrice")
    BillingAccount = apps.get_model("accounts", "BillingAccount")
    Service = apps.get_model("services", "Service")
    hosting = ServiceType.objects.create(code="hosting", name_ru="Хостинг", name_en="Hosting")
    start = Tariff.objects.create(service_type=hosting, code="start", name_ru="С", name_en="S")
    TariffPrice.objects.create(tariff=start, period_months=1, price="199.00")
    User = apps.get_model("accounts", "User")
    user = User.objects.create(email="old@example.com")
    account = BillingAccount.objects.create(
        number="1000009",
        user=user,
        contact_email="old@example.com",
        created_at=dt.datetime.now(dt.UTC),
    )
    today = dt.date.today()
    far = today + dt.timedelta(days=75)  # renewed ahead: three monthly periods from today on
    common = dict(billing_account=account, service_type=hosting, tariff=start, period_months=1)
    paid = Service.objects.create(
        **common, status="active", paid_until=far, created_at=dt.datetime.now(dt.UTC)
    )
    Service.objects.create(**common, status="pending", created_at=dt.datetime.now(dt.UTC))

    PaidPeriod = migrate_to(AFTER).get_model("services", "PaidPeriod")
    periods = list(PaidPeriod.objects.order_by("start"))
    assert {p.service_id for p in periods} == {paid.pk}
    assert periods[-1].end == far and periods[0].start <= today
    assert all(p.amount == 199 and p.source == "backfill" for p in periods)
    assert all(a.end == b.start for a, b in itertools.pairwise(periods))

    migrate_to()
