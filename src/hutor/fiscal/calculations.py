"""Pure rules of a 54-ФЗ receipt: its tags from the tax rule in force, and its request body.

A top-up is money paid ahead for services not yet rendered, so every receipt Hutor makes is a
**full prepayment** (payment_method `full_prepayment`, tag 1214 = 1) for a **service**
(payment_object 4 in API v5, tag 1212), one unit (measure 0). For a prepayment the VAT tag
(1199) is the *calculated* rate of the rule in force on the payment's date: 22/122 (`vat122`)
under the general regime from 2026, 20/120 before, 5/105 and 7/107 for the simplified regimes
paying VAT, `none` for the simplified regime without VAT (or no rule at all). The tax system
(tag 1055, `sno`) follows the regime. docs/documents-and-taxes.md, "54-ФЗ receipts".
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hutor.taxes.calculations import TaxTerms
from hutor.taxes.models import TaxRegime

PAYMENT_METHOD = "full_prepayment"  # tag 1214: предоплата 100 %
PAYMENT_OBJECT_SERVICE = 4  # tag 1212 in API v5 (numeric, FFD 1.2): услуга
MEASURE_PIECE = 0  # tag 2108: штуки, единицы
PAYMENT_TYPE_ELECTRONIC = 1  # payments[].type: безналичный расчёт
NUMERIC_KEYS = frozenset({"price", "sum", "total"})  # amounts, sent as JSON numbers


def vat_type(terms: TaxTerms) -> str:
    """The VAT tag of a prepayment under `terms`: the calculated rate (rate/100+rate)."""
    if not terms.has_vat or terms.rate is None:
        return "none"
    rate = int(terms.rate)
    if rate == 0:
        return "vat0"
    return f"vat1{rate:02d}"  # 22 -> vat122, 20 -> vat120, 10 -> vat110, 5 -> vat105


def sno(terms: TaxTerms, simplified: str) -> str:
    """The tax system tag: `osn` for the general regime, the register's simplified one else."""
    return "osn" if terms.regime == TaxRegime.GENERAL else simplified


def timestamp(moment: dt.datetime) -> str:
    """ATOL's "dd.MM.yyyy HH:mm:ss", in the provider's time zone."""
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M:%S")


def receipt_body(
    *,
    external_id: str,
    moment: dt.datetime,
    email: str,
    company_email: str,
    inn: str,
    payment_address: str,
    terms: TaxTerms,
    simplified_sno: str,
    item_name: str,
    amount: Decimal,
) -> dict[str, Any]:
    """The request body of a sell or sell_refund (API v5), amounts as decimal strings (see
    `wire`). One item: the top-up, a full prepayment for a service."""
    value = str(amount.quantize(Decimal("0.01")))
    return {
        "external_id": external_id,
        "timestamp": timestamp(moment),
        "receipt": {
            "client": {"email": email},
            "company": {
                "email": company_email,
                "sno": sno(terms, simplified_sno),
                "inn": inn,
                "payment_address": payment_address,
            },
            "items": [
                {
                    "name": item_name[:128],
                    "price": value,
                    "quantity": 1,
                    "sum": value,
                    "measure": MEASURE_PIECE,
                    "payment_method": PAYMENT_METHOD,
                    "payment_object": PAYMENT_OBJECT_SERVICE,
                    "vat": {"type": vat_type(terms)},
                }
            ],
            "payments": [{"type": PAYMENT_TYPE_ELECTRONIC, "sum": value}],
            "total": value,
        },
    }


def wire(value: Any, key: str = "") -> str:
    """JSON text of a body, the amounts (NUMERIC_KEYS) written as numbers from their decimal
    strings: money never passes through a float."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{wire(v, k)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(wire(v, key) for v in value) + "]"
    if key in NUMERIC_KEYS and isinstance(value, str):
        return str(Decimal(value))
    return json.dumps(value, ensure_ascii=False)
