"""Adding and withdrawing tax rules: the only writer of TaxRule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.models import Provider
from hutor.taxes.calculations import check_rule
from hutor.taxes.exceptions import TaxRuleInvalid
from hutor.taxes.models import TaxRule


def add_rule(
    *, provider: Provider, regime: str, rate: Decimal | None, effective_from: dt.date
) -> TaxRule:
    """From `effective_from` on, the company's new documents carry `regime` and `rate`.

    Raises TaxRuleInvalid (a message for the reader) when the rate does not fit the regime or
    the company already has a rule taking effect that day; nothing is written then. A rule may
    start in the past: documents already issued keep the terms frozen into them.
    """
    problem = check_rule(regime, rate)
    if problem is not None:
        raise TaxRuleInvalid(problem)
    try:
        with transaction.atomic():
            return TaxRule.objects.create(
                provider=provider, regime=regime, rate=rate, effective_from=effective_from
            )
    except IntegrityError:  # tax_rule_one_per_date: the database decides, not an `if`
        raise TaxRuleInvalid(same_date_message(effective_from)) from None


def withdraw_rule(*, rule: TaxRule) -> None:
    """Remove a rule that has not taken effect yet. One in force (or past) is the history of
    what documents carried: it stays, and a newer rule replaces it."""
    with transaction.atomic():
        locked = TaxRule.objects.select_for_update().filter(pk=rule.pk).first()
        if locked is None:
            return
        if locked.effective_from <= clock.today():
            raise TaxRuleInvalid(in_force_message())
        locked.delete()


def same_date_message(date: dt.date) -> str:
    return _("The company already has a tax rule taking effect on %(date)s.") % {
        "date": formats.date_format(date, "SHORT_DATE_FORMAT")
    }


def in_force_message() -> str:
    return _(
        "A tax rule that has taken effect cannot be changed or removed: add a rule from a "
        "later date instead."
    )
