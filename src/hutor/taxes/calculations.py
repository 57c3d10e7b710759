"""Pure rules of VAT: which rates a regime takes, and the VAT included in an amount.

Rounding (docs/documents-and-taxes.md): the VAT of each invoice line is the part of its amount
that is tax, amount x rate / (100 + rate), rounded half up to the currency's minor unit (kopecks);
an invoice's VAT is the sum of its lines' VAT, as the lines of an invoice-factura or УПД add up.
It may differ by a kopeck or so from the VAT of the total computed in one go; the document
prints the sum, which is the figure frozen at issue. Where a company states its prices without
VAT (Provider.prices_include_vat False), a line's price is net and its VAT is added on top:
net x rate / 100, rounded the same way, the line's amount being net + VAT. Decimal only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from hutor.core.money import MINOR_UNITS, Money, total
from hutor.taxes.models import TaxRegime

# The rates of the general regime (art. 164 of the Tax Code): 22 % from 2026, 20 % from 2019,
# 18 % before; 10 % and 0 % for the operations the Code lists.
GENERAL_RATES = frozenset(Decimal(r) for r in ("22", "20", "18", "10", "0"))
# The one rate each regime with a fixed rate takes; None: no VAT.
FIXED_RATES: dict[str, Decimal | None] = {
    TaxRegime.SIMPLIFIED: None,
    TaxRegime.SIMPLIFIED_VAT5: Decimal(5),
    TaxRegime.SIMPLIFIED_VAT7: Decimal(7),
}


@dataclass(frozen=True)
class TaxTerms:
    """The regime and rate a document carries ("" regime: no rule was in force: no VAT)."""

    regime: str
    rate: Decimal | None

    @property
    def has_vat(self) -> bool:
        return self.rate is not None


NO_RULE = TaxTerms(regime="", rate=None)


def check_rule(regime: str, rate: Decimal | None) -> str | None:
    """Why a regime and rate do not go together (a message in the reader's language), or None."""
    if regime not in TaxRegime.values:
        return _("Choose a tax regime.")
    if regime == TaxRegime.GENERAL:
        if rate is None or rate not in GENERAL_RATES:
            return _("The general regime takes a VAT rate of 22, 20, 18, 10 or 0 %.")
        return None
    expected = FIXED_RATES[regime]
    if expected is None and rate is not None:
        return _("The simplified regime without VAT has no VAT rate: leave the rate empty.")
    if expected is not None and rate != expected:
        return _("The simplified regime with VAT at %(rate)s %% takes the rate %(rate)s %%.") % {
            "rate": f"{expected:f}"
        }
    return None


def vat_included(amount: Money, rate: Decimal | None) -> Money | None:
    """The VAT included in `amount` at `rate` percent, rounded half up to the minor unit;
    None when there is no VAT."""
    if rate is None:
        return None
    unit = Decimal(1).scaleb(-MINOR_UNITS[amount.currency])
    vat = (amount.amount * rate / (Decimal(100) + rate)).quantize(unit, ROUND_HALF_UP)
    return Money(vat, amount.currency)


def lines_vat(amounts: Sequence[Money], rate: Decimal | None) -> tuple[list[Money], Money] | None:
    """Each line's VAT and the document's (their sum), by the rounding rule above; None when
    there is no VAT."""
    if rate is None or not amounts:
        return None
    vats = [vat for vat in (vat_included(amount, rate) for amount in amounts) if vat is not None]
    return vats, total(vats)


def vat_on_top(net: Money, rate: Decimal | None) -> Money | None:
    """The VAT added to a net amount (prices stated without VAT): net x rate / 100, rounded
    half up to the minor unit; None when there is no VAT. The gross is net + this."""
    if rate is None:
        return None
    unit = Decimal(1).scaleb(-MINOR_UNITS[net.currency])
    return Money((net.amount * rate / Decimal(100)).quantize(unit, ROUND_HALF_UP), net.currency)


def lines_vat_on_top(
    nets: Sequence[Money], rate: Decimal | None
) -> tuple[list[Money], Money] | None:
    """Each net line's VAT on top and the document's (their sum); None when there is no VAT."""
    if rate is None or not nets:
        return None
    vats = [vat for vat in (vat_on_top(net, rate) for net in nets) if vat is not None]
    return vats, total(vats)


def label_ru(rate: Decimal | None) -> str:
    """How a Russian document states the tax: «Без НДС» or «В т.ч. НДС 22%» (prices include
    it); the words the bank statement import and the payer's bank read."""
    return "Без НДС" if rate is None else f"В т.ч. НДС {rate.normalize():f}%"
