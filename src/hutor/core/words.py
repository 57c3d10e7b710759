"""Amounts in words, as Russian accounting documents print them under the total."""

from __future__ import annotations

from num2words import num2words

from hutor.core.money import Money


def amount_in_words_ru(amount: Money) -> str:
    """«Одна тысяча пятьсот двадцать один рубль 50 копеек» (kopecks in figures, as is usual)."""
    if amount.currency != "RUB":
        raise ValueError("amounts in Russian words are written for roubles only")
    text = num2words(
        amount.rounded().amount, lang="ru", to="currency", currency="RUB", cents=False, separator=""
    )
    return text[:1].upper() + text[1:]


def amount_in_words_en(amount: Money) -> str:
    text = num2words(
        amount.rounded().amount, lang="en", to="currency", currency=amount.currency, cents=False
    )
    return text[:1].upper() + text[1:]
