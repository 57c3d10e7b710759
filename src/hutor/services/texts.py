"""The words of a service's invoice lines, in both languages (stored frozen on the line)."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation
from django.utils.translation import gettext as _

from hutor.catalog.models import BillingUnit, TariffPrice

LANGUAGES = ("ru", "en")


def _period_text(price: TariffPrice, language: str) -> str:
    months = price.period_months
    with translation.override(language):
        if price.tariff.service_type.billing_unit == BillingUnit.YEAR and months % 12 == 0:
            years = months // 12
            return translation.ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
        return translation.ngettext("%(n)d month", "%(n)d months", months) % {"n": months}


def line_prefix(price: TariffPrice, language: str) -> str:
    """«Хостинг «Старт», 3 месяца»: the part of a period line's text fixed by its price."""
    tariff = price.tariff
    with translation.override(language):
        name = (
            f"{tariff.service_type.name} «{tariff.name}»"
            if language == "ru"
            else (f"{tariff.service_type.name} “{tariff.name}”")
        )
        return f"{name}, {_period_text(price, language)}"


def line_dates(start: dt.date, end: dt.date, language: str) -> str:
    """«30.11.2026–27.02.2027»: the period [start, end) as a person reads it, up to its last day
    inclusive, so a renewal's line («28.02.2027–27.02.2028») does not seem to share a day
    with the period before it (docs/billing-rules.md, "Paid periods")."""
    last = end - dt.timedelta(days=1)
    with translation.override(language):
        short = "SHORT_DATE_FORMAT"
        return f"{formats.date_format(start, short)}–{formats.date_format(last, short)}"


def line_text(prefix: str, identifier: str, dates: str) -> str:
    """A period line's text from its parts (the billing run caches the parts per price and
    per period, and must produce exactly what an order or a renewal here writes)."""
    return prefix + (f", {identifier}" if identifier else "") + f" ({dates})"


def period_line_text(
    price: TariffPrice, identifier: str, start: dt.date, end: dt.date, language: str
) -> str:
    return line_text(line_prefix(price, language), identifier, line_dates(start, end, language))


def period_line_texts(
    price: TariffPrice, identifier: str, start: dt.date, end: dt.date
) -> dict[str, str]:
    return {lang: period_line_text(price, identifier, start, end, lang) for lang in LANGUAGES}


def setup_text(price: TariffPrice, language: str) -> str:
    with translation.override(language):
        return _("Setup fee: %(tariff)s") % {"tariff": price.tariff.name}


def restore_texts(identifier: str) -> dict[str, str]:
    """A restore line's text: «Восстановление домена example.ru из периода удержания»."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = _("Restore of the domain %(name)s from the redemption period") % {
                "name": identifier
            }
    return texts
