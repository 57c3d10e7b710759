"""Profiles the domains tests share: a Russian person and a Russian company, both valid."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Sberbank's public requisites (a well-known valid INN/KPP/OGRN set).
COMPANY_INN = "7707083893"
COMPANY_KPP = "773601001"
COMPANY_OGRN = "1027700132195"
PERSON_INN = "500100732259"


def person(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "label": "Личный",
        "kind": "person",
        "name": "Иванов Иван Иванович",
        "name_latin": "Ivan I Ivanov",
        "birth_date": dt.date(1980, 5, 17),
        "passport_number": "45 10 123456",
        "passport_issued_by": "ОВД «Тверской» г. Москвы",
        "passport_issued_on": dt.date(2010, 2, 1),
        "country": "RU",
        "postcode": "101000",
        "region": "Москва",
        "city": "Москва",
        "street": "ул. Мясницкая, д. 1, кв. 2",
        "email": "Ivan@Example.com",
        "phone": "+7 916 123-45-67",
    }
    data.update(overrides)
    return data


def company(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "label": "Ромашка",
        "kind": "company",
        "org": "ООО «Ромашка»",
        "org_latin": "Romashka LLC",
        "inn": COMPANY_INN,
        "kpp": COMPANY_KPP,
        "ogrn": COMPANY_OGRN,
        "legal_address": "117312, г. Москва, ул. Вавилова, д. 19",
        "country": "RU",
        "postcode": "117312",
        "region": "Москва",
        "city": "Москва",
        "street": "ул. Вавилова, д. 19",
        "email": "domains@romashka.ru",
        "phone": "8 495 500-55-50",
    }
    data.update(overrides)
    return data
