"""Whole-database verification of the ledger's invariants, by aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Round

from hutor.ledger.models import JournalEntry, LedgerAccount, Posting

SAMPLE = 10
CENT = Decimal(1).scaleb(-settings.MONEY_DECIMAL_PLACES)


def _exact_sum(field: str) -> Round:
    # SQLite adds DECIMAL columns as binary floats (0.1 + 0.2 = 0.30000000000000004); rounding
    # the sum to the column's own scale in SQL gives back the exact decimal on both databases.
    return Round(Sum(field), settings.MONEY_DECIMAL_PLACES, output_field=DecimalField())


def _fmt(value: object) -> str:
    return str(Decimal(str(value)).quantize(CENT))


@dataclass
class Violation:
    invariant: str
    count: int
    examples: list[str] = field(default_factory=list)


@dataclass
class Report:
    entries: int
    postings: int
    accounts: int
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations


def run() -> Report:
    violations: list[Violation] = []

    def record(invariant: str, rows: list[str], count: int) -> None:
        if count:
            violations.append(Violation(invariant, count, rows))

    unbalanced = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=_exact_sum("amount"))
        .exclude(total=0)
        .order_by("entry_id")
    )
    record(
        "each journal entry sums to zero per currency",
        [
            f"entry #{r['entry_id']}: {r['currency']} sums to {r['total']}"
            for r in unbalanced[:SAMPLE]
        ],
        unbalanced.count(),
    )

    short = JournalEntry.objects.annotate(n=Count("postings")).filter(n__lt=2).order_by("pk")
    record(
        "each journal entry has at least two postings",
        [f"entry #{e.pk}: {e.n} posting(s)" for e in short[:SAMPLE]],
        short.count(),
    )

    bad_postings = (
        Posting.objects.filter(Q(amount=0) | ~Q(currency=F("account__currency")))
        .select_related("account")
        .order_by("pk")
    )
    record(
        "postings are non-zero and in their account's currency",
        [
            f"posting #{p.pk} of entry #{p.entry_id}: {p.amount} {p.currency} on {p.account}"
            for p in bad_postings[:SAMPLE]
        ],
        bad_postings.count(),
    )

    zero = Value(Decimal(0), output_field=DecimalField())
    drifted = (
        LedgerAccount.objects.annotate(posted=Coalesce(_exact_sum("postings__amount"), zero))
        .exclude(balance=F("posted"))
        .order_by("pk")
    )
    record(
        "each cached balance equals the sum of its postings",
        [
            f"{a}: cached {_fmt(a.balance)}, postings sum to {_fmt(a.posted)}"
            for a in drifted[:SAMPLE]
        ],
        drifted.count(),
    )

    below = LedgerAccount.objects.filter(
        min_balance__isnull=False, balance__lt=F("min_balance")
    ).order_by("pk")
    record(
        "no balance below its allowed limit",
        [f"{a}: balance {a.balance}, limit {a.min_balance}" for a in below[:SAMPLE]],
        below.count(),
    )

    return Report(
        entries=JournalEntry.objects.count(),
        postings=Posting.objects.count(),
        accounts=LedgerAccount.objects.count(),
        violations=violations,
    )
