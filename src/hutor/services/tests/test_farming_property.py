"""The farming property: no sequence of customer actions makes money (issue 11, build 2).

A Hypothesis state machine drives one customer through random sequences of order, top-up,
renewal, tariff change (within the type, and across zones and types, which must be refused),
order cancellation, cancellation with the unused days given back, and the clock moving
forward with the daily billing run, and after every step checks the money against an oracle
of its own:

- the oracle keeps, per service, the paid time it has seen bought (from each invoice line as
  it is paid: a period extends from paid-until, or from today when lapsed) and what was paid
  for it; a tariff change's charge adds to the value of the unused days, its credit takes
  from it; values are kept exact (unrounded) and split at the day of each change;
- a credit (a downgrade's, or a cancellation's) is never more than the oracle's unused paid
  value of the service that day (plus half a kopeck per paid period for the one rounding per
  period), and all of a service's credits together never more than what was paid for it;
- the customer's balance never exceeds what they paid in minus the value of the service they
  consumed or still hold, at the prices they paid (the oracle's total), and the two sides
  agree to the rounding of the tariff changes;
- every service's paid-until is the oracle's, its type never changes and a domain stays in
  its zone; the ledger check is clean and the billing run reports no error.

Examples: HUTOR_FARMING_EXAMPLES (default 300) of up to HUTOR_FARMING_STEPS (default 30)
steps, with a fixed seed (derandomized), on whichever database the suite runs on. A failing
example found here is added to test_farming_findings.py as a plain regression test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.db.models import Max
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from hutor.billing.run import run_billing
from hutor.core.money import Money
from hutor.invoices.models import Invoice, InvoiceStatus, LineKind
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccount, Posting
from hutor.services import actions, cancellations
from hutor.services.calculations import add_months
from hutor.services.exceptions import ServiceError
from hutor.services.models import Cancellation, Service, ServiceEvent, ServiceStatus

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = int(os.environ.get("HUTOR_FARMING_EXAMPLES", "300"))
STEPS = int(os.environ.get("HUTOR_FARMING_STEPS", "30"))
START = dt.date(2026, 11, 30)
KOPECK = Decimal("0.01")


@dataclass
class Segment:
    start: dt.date
    end: dt.date
    value: Decimal  # exact: what the customer paid for these days

    def unused(self, today: dt.date) -> Decimal:
        if self.end <= today:
            return Decimal(0)
        if self.start >= today:
            return self.value
        return self.value * (self.end - today).days / (self.end - self.start).days


@dataclass
class Held:
    """The oracle's record of one service: the paid time it has seen bought."""

    segments: list[Segment] = field(default_factory=list)
    credited: Decimal = Decimal(0)  # tariff change and cancellation credits
    paid: Decimal = Decimal(0)  # every line paid for it: periods, prorations, setup
    changes: int = 0
    continuous: bool = False  # a domain: renewed from its old end even after it lapsed

    @property
    def end(self) -> dt.date | None:
        return max((s.end for s in self.segments), default=None)

    @property
    def total(self) -> Decimal:
        return sum((s.value for s in self.segments), Decimal(0))

    def unused(self, today: dt.date) -> Decimal:
        return sum((s.unused(today) for s in self.segments), Decimal(0))

    def extend(self, today: dt.date, months: int, value: Decimal) -> None:
        end = self.end
        start = end if end is not None and (self.continuous or end >= today) else today
        self.segments.append(Segment(start, add_months(start, months), value))

    def reprice(self, day: dt.date, delta: Decimal) -> None:
        """A change on `day` moves the unused value by `delta` (a charge > 0, a credit < 0),
        spread over the unused days in proportion to what was paid for them."""
        self.changes += 1
        unused = self.unused(day)
        split: list[Segment] = []
        for s in self.segments:
            if s.end <= day:
                split.append(s)
                continue
            rest = s.unused(day)
            if s.start < day:
                split.append(Segment(s.start, day, s.value - rest))
            factor = (unused + delta) / unused if unused else Decimal(0)
            split.append(Segment(max(s.start, day), s.end, rest * factor))
        if not unused and delta:
            raise AssertionError(f"a change moved {delta} with no paid days left")
        self.segments = split

    def cut(self, day: dt.date) -> Decimal:
        """A cancellation on `day`: the paid time from `day` on is gone. Returns the value it
        still held (what the credit's rounding left in it), which the customer forfeits."""
        kept: list[Segment] = []
        lost = Decimal(0)
        for s in self.segments:
            if s.end <= day:
                kept.append(s)
            elif s.start >= day:
                lost += s.value
            else:
                lost += s.unused(day)
                kept.append(Segment(s.start, day, s.value - s.unused(day)))
        self.segments = kept
        return lost


class Farming(RuleBasedStateMachine):
    """One customer; see the module docstring. `catalog` and `account` are set per test."""

    catalog: Any = None
    account_factory: Any = None

    services = Bundle("services")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.today = START
        self.paid_in = Decimal(0)
        self.setup_fees = Decimal(0)
        self.forfeited = Decimal(0)
        self.held: dict[int, Held] = {}
        self.zone: dict[int, str] = {}
        with self.clock():
            self.account = type(self).account_factory()
        self.seen_invoices: set[int] = set()
        self.seen_credits: set[int] = set()
        self.seen_cancellations: set[int] = set()
        self.count = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def clock(self) -> time_machine.travel:
        return time_machine.travel(
            dt.datetime.combine(self.today, dt.time(9), tzinfo=dt.UTC), tick=False
        )

    # --- Steps ------------------------------------------------------------------------------

    @rule(
        target=services,
        kind=st.sampled_from(["start", "pro", "ru", "vps1"]),
        months=st.sampled_from([1, 3, 12, 24]),
    )
    def order(self, kind: str, months: int):
        tariff = getattr(self.catalog, kind)
        price = tariff.prices.filter(period_months=months).first()
        if price is None or len(self.held) >= 3:
            return multiple()
        self.count += 1
        identifier = f"s{self.count}.ru" if kind != "vps1" else f"vps{self.count}.example.ru"
        with self.clock():
            service = actions.place_order(
                billing_account=self.account, price=price, identifier=identifier
            )
            self.held[service.pk] = Held(continuous=bool(tariff.domain_zone))
            self.zone[service.pk] = tariff.domain_zone
            self.after_step()
        return service.pk

    @rule(amount=st.sampled_from(["50.00", "199.00", "500.00", "1990.00", "4990.00"]))
    def top_up(self, amount: str) -> None:
        from hutor.invoices.actions import settle_open_invoices
        from hutor.ledger.actions import clearing_account, customer_account, post

        money = Decimal(amount)
        with self.clock():
            post(
                lines=[
                    (clearing_account("test", "RUB"), -Money(money, "RUB")),
                    (customer_account(self.account), Money(money, "RUB")),
                ],
                kind=EntryKind.TOP_UP,
                reference=f"farm-{self.paid_in + money}",
                billing_account=self.account,
            )
            self.paid_in += money
            settle_open_invoices(billing_account=self.account)
            self.after_step()

    @rule(service=services, months=st.sampled_from([1, 3, 12, 24]))
    def renew(self, service: int, months: int) -> None:
        current = Service.objects.get(pk=service)
        price = current.tariff.prices.filter(period_months=months).first()
        if price is None:
            return
        with self.clock():
            with contextlib.suppress(ServiceError):
                actions.renew(service=current, price=price)
            self.after_step()

    @rule(
        service=services,
        to=st.sampled_from(["start", "pro", "ru", "rf", "vps1", "support"]),
    )
    def change_tariff(self, service: int, to: str) -> None:
        current = Service.objects.select_related("tariff").get(pk=service)
        tariff = getattr(self.catalog, to)
        with self.clock():
            with contextlib.suppress(ServiceError):
                actions.change_tariff(service=current, new_tariff=tariff)
            self.after_step()

    @rule(service=services)
    def cancel(self, service: int) -> None:
        with self.clock():
            with contextlib.suppress(ServiceError):
                actions.cancel_order(service=Service.objects.get(pk=service))
            self.after_step()

    @rule(service=services)
    def cancel_with_refund(self, service: int) -> None:
        """The customer cancels with the unused paid days given back, confirming the amount
        the panel showed them."""
        with self.clock():
            current = Service.objects.select_related("billing_account", "service_type").get(
                pk=service
            )
            shown = cancellations.quote(current)
            with contextlib.suppress(ServiceError):
                cancellations.cancel(
                    service=current, by=ServiceEvent.Actor.CUSTOMER, expected_amount=shown.amount
                )
            self.after_step()

    @rule(days=st.sampled_from([1, 3, 10, 29, 61, 200]))
    def time_passes(self, days: int) -> None:
        self.today += dt.timedelta(days=days)
        with self.clock():
            run = run_billing(jobs=1)
            assert run.error_count == 0, run.errors
            self.after_step()

    # --- The oracle ---------------------------------------------------------------------------

    def after_step(self) -> None:
        """Feed the oracle what the step did: credits first (a downgrade credits before it
        settles anything), then invoices paid, in the order they were paid."""
        credits = (
            JournalEntry.objects.filter(billing_account=self.account, kind=EntryKind.TARIFF_CREDIT)
            .exclude(pk__in=self.seen_credits)
            .order_by("pk")
        )
        for entry in credits:
            self.seen_credits.add(entry.pk)
            service = int(entry.reference.removeprefix("service-"))
            amount = Posting.objects.get(entry=entry, account__billing_account=self.account).amount
            held = self.held[service]
            unused = held.unused(self.today)
            slack = KOPECK / 2 * (len(held.segments) + held.changes)
            assert amount <= unused + slack, (
                f"service {service} was credited {amount}, but only {unused} of what was paid "
                f"is unused on {self.today}"
            )
            held.reprice(self.today, -amount)
            held.credited += amount
        for cancellation in Cancellation.objects.filter(
            service__billing_account=self.account
        ).exclude(pk__in=self.seen_cancellations):
            self.seen_cancellations.add(cancellation.pk)
            held = self.held[cancellation.service_id]
            amount = cancellation.amount
            if cancellation.entry_id is not None:
                posted = Posting.objects.get(
                    entry_id=cancellation.entry_id, account__billing_account=self.account
                ).amount
                assert posted == amount
                unused = held.unused(self.today)
                slack = KOPECK / 2 * (len(held.segments) + held.changes)
                assert amount <= unused + slack, (
                    f"cancelling service {cancellation.service_id} gave back {amount}, but only "
                    f"{unused} of what was paid is unused on {self.today}"
                )
                held.reprice(self.today, -amount)
                held.credited += amount
            if cancellation.reason != cancellations.NOT_REFUNDABLE:
                self.forfeited += held.cut(cancellation.day)
        paid = (
            Invoice.objects.filter(billing_account=self.account, status=InvoiceStatus.PAID)
            .exclude(pk__in=self.seen_invoices)
            .order_by("paid_at", "pk")
        )
        for invoice in paid:
            self.seen_invoices.add(invoice.pk)
            lines = list(invoice.lines.order_by("position"))
            for line in lines:
                if line.service_id is not None:
                    self.held[line.service_id].paid += line.amount
            for line in lines:
                if line.kind == LineKind.PRORATION:
                    assert line.period_start is not None
                    self.held[line.service_id].reprice(line.period_start, line.amount)
            for line in lines:
                if line.kind == LineKind.SETUP:
                    self.setup_fees += line.amount
                elif line.kind == LineKind.PERIOD:
                    assert line.service_id is not None
                    held = self.held[line.service_id]
                    status = Service.objects.get(pk=line.service_id).status
                    if status in (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED):
                        self.forfeited += line.amount  # paid for a service that is gone
                        continue
                    held.extend(self.today, line.period_months, line.amount)

    @invariant()
    def money_is_never_farmed(self) -> None:
        if not hasattr(self, "account"):
            return
        balance = ledger_queries.balance(self.account).amount
        held = sum((h.total for h in self.held.values()), Decimal(0))
        changes = sum(h.changes + len(h.segments) for h in self.held.values())
        # What the customer paid in is on the balance, or was spent on setup fees and on
        # service time at the prices paid; only the rounding of tariff changes may differ.
        spent = self.setup_fees + self.forfeited + held
        assert balance <= self.paid_in - spent + KOPECK / 2 * changes + KOPECK
        assert abs(balance - (self.paid_in - spent)) <= KOPECK * (changes + 1)

    @invariant()
    def nothing_comes_back_beyond_what_was_paid(self) -> None:
        """Per service, the credits of its tariff changes and its cancellation together never
        exceed what was paid for it (to the half kopeck of each rounding)."""
        if not hasattr(self, "account"):
            return
        for pk, held in self.held.items():
            slack = KOPECK / 2 * (len(held.segments) + held.changes)
            assert held.credited <= held.paid + slack, (pk, held.credited, held.paid)

    @invariant()
    def services_are_what_was_paid(self) -> None:
        if not hasattr(self, "account"):
            return
        for service in Service.objects.filter(billing_account=self.account).select_related(
            "tariff"
        ):
            held = self.held[service.pk]
            if held.segments and service.status not in (ServiceStatus.CANCELLED,):
                assert service.paid_until == held.end, (service.pk, service.paid_until, held.end)
            assert service.tariff.service_type_id == service.service_type_id
            assert service.tariff.domain_zone == self.zone[service.pk]

    @invariant()
    def ledger_is_sound(self) -> None:
        # The whole check after every step that touched the ledger (a new entry, or any
        # cached balance changed); a step that touched neither leaves it as it was checked.
        fingerprint = (
            JournalEntry.objects.aggregate(last=Max("pk"))["last"],
            tuple(LedgerAccount.objects.order_by("pk").values_list("pk", "balance")),
        )
        if fingerprint == getattr(self, "_checked", None):
            return
        report = checks.run()
        assert report.ok, report.violations
        self._checked = fingerprint


@pytest.mark.slow
def test_no_sequence_of_customer_actions_farms_money(catalog, account_factory):
    Farming.catalog = catalog
    Farming.account_factory = staticmethod(account_factory)
    run_state_machine_as_test(
        Farming,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
