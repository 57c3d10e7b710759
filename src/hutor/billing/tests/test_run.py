"""The run as a whole: idempotent on the same day, a dry run that changes nothing, batches
that keep each service's outcome atomic, and the record of every run."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from hutor.billing import renewals
from hutor.billing.models import BillingRun, Renewal, RunStatus
from hutor.billing.run import run_billing
from hutor.billing.tests.helpers import snapshot
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import start_top_up
from hutor.services.actions import place_order, renew
from hutor.services.models import Service, ServiceStatus

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # 1 Mar 2027, 12:00 in Moscow
TODAY = dt.date(2027, 3, 1)


@pytest.fixture
def busy_day(catalog, account_factory, top_up, active_service, payment_methods):
    """A day with a bit of everything for every step of the run."""
    with time_machine.travel(NOON - dt.timedelta(days=14), tick=False):
        stale = account_factory()
        place_order(
            billing_account=stale, price=catalog.price(catalog.start, 1), identifier="old.ru"
        )
    with time_machine.travel(NOON - dt.timedelta(days=5), tick=False):
        late = account_factory()
        active_service(late, paid_until=TODAY - dt.timedelta(days=3), identifier="late.ru")
        run_billing()  # the renewal invoice of late.ru, unpaid, due 26 Feb
    with time_machine.travel(NOON - dt.timedelta(days=2), tick=False):
        start_top_up(billing_account=stale, method=payment_methods.demo, amount=Money("500.00"))
    with time_machine.travel(NOON, tick=False):
        rich, poor, both = account_factory(), account_factory(), account_factory()
        top_up(rich, "1000.00")
        top_up(both, "250.00")  # pays one of its two renewals
        active_service(rich, paid_until=TODAY + dt.timedelta(days=3), identifier="rich.ru")
        active_service(poor, paid_until=TODAY + dt.timedelta(days=7), identifier="poor.ru")
        active_service(both, paid_until=TODAY + dt.timedelta(days=1), identifier="a.both.ru")
        active_service(both, paid_until=TODAY + dt.timedelta(days=2), identifier="b.both.ru")
        active_service(poor, paid_until=TODAY + dt.timedelta(days=8), identifier="later.ru")
        active_service(
            poor, paid_until=TODAY - dt.timedelta(days=3), identifier="manual.ru", auto_renew=False
        )
        active_service(
            poor,
            paid_until=TODAY - dt.timedelta(days=40),
            identifier="gone.ru",
            auto_renew=False,
            status=ServiceStatus.SUSPENDED,
            lapsed_on=TODAY - dt.timedelta(days=30),
        )
        active_service(
            poor, catalog.ru, months=12, paid_until=TODAY + dt.timedelta(days=30), identifier="d.ru"
        )
    return {"rich": rich, "poor": poor, "both": both, "late": late, "stale": stale}


def test_one_run_does_every_step(busy_day):
    with time_machine.travel(NOON, tick=False):
        run = run_billing()
    assert run.status == RunStatus.DONE and run.error_count == 0
    assert run.counts["payments"] == {"expired": 1}
    assert run.counts["renewals"] == {"due": 5, "issued": 5, "paid": 2, "no_vat": 5}
    assert run.counts["orders"] == {"cancelled": 1}
    assert run.counts["reminders"] == {"queued": 1}  # late.ru's invoice, 3 days overdue
    assert run.counts["suspensions"] == {"suspended": 2}  # late.ru and manual.ru
    assert run.counts["terminations"] == {"terminated": 1}  # gone.ru
    service = {s.identifier: s for s in Service.objects.all()}
    assert service["rich.ru"].paid_until == dt.date(2027, 4, 4)
    assert service["a.both.ru"].paid_until == dt.date(2027, 4, 2)
    assert service["b.both.ru"].paid_until == dt.date(2027, 3, 3)  # its invoice waits
    assert service["later.ru"].paid_until == dt.date(2027, 3, 9)  # not due yet: no invoice
    assert not Renewal.objects.filter(service=service["later.ru"]).exists()
    assert Renewal.objects.filter(service=service["d.ru"]).exists()  # 30 days for domains
    assert ledger_queries.balance(busy_day["both"]).amount == 51  # 250 - 199
    assert checks.run().ok


def test_running_twice_on_the_same_day_changes_nothing_the_second_time(busy_day):
    with time_machine.travel(NOON, tick=False):
        run_billing()
        before = snapshot()
        second = run_billing()
        assert snapshot() == before
    assert second.status == RunStatus.DONE
    # Nothing to do; it only notes the reminder already queued today.
    assert {step: c for step, c in second.counts.items() if c} == {"reminders": {"already": 1}}


def test_a_dry_run_changes_nothing_and_tells_what_a_run_would_do(busy_day):
    with time_machine.travel(NOON, tick=False):
        before = snapshot()
        dry = run_billing(dry_run=True)
        assert snapshot() == before
        real = run_billing()
    assert dry.dry_run and dry.status == RunStatus.DONE
    assert dry.counts == real.counts
    assert dry.sample["renewals"][0].startswith("service ")
    assert BillingRun.objects.count() == 3  # the fixture's run, the dry run, the real one


def test_the_dry_run_command_prints_counts_and_a_sample(busy_day):
    out = io.StringIO()
    with time_machine.travel(NOON, tick=False):
        before = snapshot()
        call_command("billing", "run", "--dry-run", "--date", "2027-03-01", stdout=out)
        assert snapshot() == before
    text = out.getvalue()
    # Not a terminal: key=value, renewal invoices counted by their frozen VAT rate too.
    assert "billing step=renewals due=5 issued=5 paid=2 no_vat=5" in text
    assert "dry_run=true status=done errors=0" in text


def test_the_date_option_runs_the_day_given(busy_day):
    out = io.StringIO()
    with time_machine.travel(NOON - dt.timedelta(days=10), tick=False):
        call_command("billing", "run", "--date", "2027-03-01", stdout=out)
    run = BillingRun.objects.latest("pk")
    assert run.date == TODAY
    assert Invoice.objects.filter(kind=InvoiceKind.RENEWAL, issue_date=TODAY).count() == 5


def test_renewals_go_in_batches_and_a_newer_invoice_never_overtakes_an_older_one(
    catalog, account_factory, top_up, active_service
):
    with time_machine.travel(NOON, tick=False):
        accounts = [account_factory() for _ in range(7)]
        for n, account in enumerate(accounts):
            if n % 3:
                top_up(account, f"{199 * (n % 3)}.00")  # 0, 1 or 2 renewals' worth
            for k in range(3):
                active_service(
                    account, paid_until=TODAY + dt.timedelta(days=k), identifier=f"s{n}-{k}.ru"
                )
        older = accounts[2]  # 398 on the balance, but an older unpaid invoice of 499 first
        place_order(billing_account=older, price=catalog.price(catalog.pro, 1), identifier="p.ru")
        run = run_billing(batch_size=4)
    # Balances of 0, 199, 398, 0, 199, 398, 0; the third account's older invoice comes first.
    assert run.counts["renewals"] == {
        "due": 21,
        "issued": 21,
        "paid": 0 + 1 + 0 + 0 + 1 + 2 + 0,
        "no_vat": 21,
    }
    for n, account in enumerate(accounts):
        paid = Invoice.objects.filter(
            billing_account=account, kind=InvoiceKind.RENEWAL, status=InvoiceStatus.PAID
        )
        expected = 0 if account == older else n % 3
        assert paid.count() == expected
        # The oldest paid-until renews first.
        assert sorted(paid.values_list("lines__service__identifier", flat=True)) == [
            f"s{n}-{k}.ru" for k in range(expected)
        ]
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"27-{n:06d}" for n in range(1, 23)]  # one block per batch, no gaps
    assert checks.run().ok


def test_a_service_that_fails_costs_only_itself(
    catalog, account_factory, top_up, active_service, monkeypatch
):
    with time_machine.travel(NOON, tick=False):
        account = account_factory()
        top_up(account, "1000.00")
        for k in range(5):
            active_service(account, paid_until=TODAY + dt.timedelta(days=1), identifier=f"s{k}.ru")
        real_text = renewals._Context.text

        def text(self, price, identifier, start, end, lang):
            if identifier == "s2.ru":
                raise RuntimeError("broken")
            return real_text(self, price, identifier, start, end, lang)

        monkeypatch.setattr(renewals._Context, "text", text)
        run = run_billing(batch_size=5)
        with pytest.raises(CommandError):
            call_command("billing", "run", stdout=io.StringIO())  # still failing: exit 1
    assert run.counts["renewals"] == {"due": 5, "issued": 4, "paid": 4, "no_vat": 4, "errors": 1}
    assert run.errors == [
        {
            "step": "renewals",
            "object": f"service {Service.objects.get(identifier='s2.ru').pk}",
            "error": "RuntimeError: broken",
        }
    ]
    assert Renewal.objects.count() == 4
    assert checks.run().ok


def test_the_database_refuses_a_second_renewal_of_a_period(
    catalog, account_factory, active_service
):
    with time_machine.travel(NOON, tick=False):
        account = account_factory()
        service = active_service(account, paid_until=TODAY)
        run_billing()
        renewal = Renewal.objects.get(service=service)
        other = Invoice.objects.filter(kind=InvoiceKind.RENEWAL).get()
        with pytest.raises(IntegrityError), transaction.atomic():
            Renewal.objects.create(
                service=service,
                period_start=renewal.period_start,
                invoice=other,
                created_at=clock.now(),
            )


def test_a_renewal_the_customer_made_is_not_issued_again(catalog, account_factory, active_service):
    with time_machine.travel(NOON, tick=False):
        account = account_factory()
        service = active_service(account, paid_until=TODAY + dt.timedelta(days=5))
        mine = renew(service=service, price=catalog.price(catalog.start, 1))
        run = run_billing()
    assert run.counts["renewals"] == {}
    assert list(Invoice.objects.filter(kind=InvoiceKind.RENEWAL)) == [mine]


def test_paying_a_suspended_service_renewal_reactivates_it_at_once(
    catalog, account_factory, top_up, active_service
):
    with time_machine.travel(NOON, tick=False) as traveller:
        account = account_factory()
        service = active_service(account, paid_until=TODAY)
        run_billing()
        traveller.shift(dt.timedelta(days=3))
        run_billing()
        service.refresh_from_db()
        assert service.status == ServiceStatus.SUSPENDED
        top_up(account, "199.00")
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE and service.lapsed_on is None
    assert service.paid_until == dt.date(2027, 4, 4)  # lapsed: a month from the day of payment
    assert list(service.provisioning.order_by("pk").values_list("operation", "status")) == [
        ("suspend", "pending"),
        ("unsuspend", "pending"),
    ]


def test_runs_are_recorded_and_a_killed_one_is_marked_interrupted(busy_day):
    BillingRun.objects.create(date=TODAY, started_at=clock.now())  # as a killed run leaves it
    with time_machine.travel(NOON, tick=False):
        run = run_billing()
    assert list(BillingRun.objects.order_by("pk").values_list("status", flat=True)) == [
        "done",
        "interrupted",
        "done",
    ]
    assert run.finished_at is not None and run.duration is not None


def test_reminder_emails_render_in_both_languages(catalog, account_factory, active_service):
    from hutor.notifications.actions import _send  # noqa: F401 - the worker's rendering path
    from hutor.notifications.registry import renderer_for

    with time_machine.travel(NOON, tick=False) as traveller:
        for language in ("ru", "en"):
            account = account_factory(language=language)
            active_service(
                account, paid_until=TODAY + dt.timedelta(days=3), identifier=f"{language}.ru"
            )
        run_billing()  # issued on 1 Mar, due 4 Mar: the -3 day is the day of issue, no reminder
        traveller.shift(dt.timedelta(days=1))
        assert run_billing().counts["reminders"] == {}
        traveller.shift(dt.timedelta(days=2))
        assert run_billing().counts["reminders"] == {"queued": 2}
    from django.utils import translation

    rendered = {}
    for email in OutboxEmail.objects.filter(template="invoice_reminder"):
        with translation.override(email.language):
            rendered[email.language] = renderer_for(email.template)(email)
    assert rendered["ru"].subject.startswith("Напоминание") or "27-" in rendered["ru"].subject
    assert "is due today" in rendered["en"].text and "en.ru" in rendered["en"].text
    assert "suspended 3 days after" in rendered["en"].text
