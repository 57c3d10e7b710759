"""Which tax rule is in force on a day."""

from __future__ import annotations

import datetime as dt

from hutor.taxes.calculations import NO_RULE, TaxTerms
from hutor.taxes.models import TaxRule


def rule_on(provider_id: int, date: dt.date) -> TaxRule | None:
    """The company's rule in force on `date`: the latest that took effect on or before it."""
    return (
        TaxRule.objects.filter(provider_id=provider_id, effective_from__lte=date)
        .order_by("-effective_from")
        .first()
    )


def terms_on(provider_id: int | None, date: dt.date) -> TaxTerms:
    """The regime and rate a document dated `date` carries; NO_RULE (no VAT) when the company
    has no rule in force yet."""
    rule = rule_on(provider_id, date) if provider_id is not None else None
    return NO_RULE if rule is None else TaxTerms(regime=rule.regime, rate=rule.rate)


def rules(provider_id: int) -> list[TaxRule]:
    """The company's rules, the latest first."""
    return list(TaxRule.objects.filter(provider_id=provider_id).order_by("-effective_from"))
