"""A second provider company for tests (the conftest's `provider` is the default one)."""

from __future__ import annotations

from hutor.core.companies import BankAccountDraft, save_company
from hutor.core.models import Provider

# Company B's settlement account (a bank statement line to it is B's).
B_ACCOUNT = "40702810600000000777"
B_BIK = "044525974"


def company_b(*, kinds: list[str] | None = None, prices_include_vat: bool = True) -> Provider:
    return save_company(
        company=Provider(),
        values={
            "legal_name": "ООО «Второй Хостинг»",
            "short_name": "Второй Хостинг",
            "inn": "7728168971",
            "kpp": "772801001",
            "ogrn": "1027700067328",
            "address": "107078, г. Москва, ул. Каланчёвская, д. 27",
            "director": "Сидоров С. С.",
            "accountant": "Кузнецова К. К.",
            "prices_include_vat": prices_include_vat,
        },
        customer_kinds=kinds or [],
        bank_accounts=[
            BankAccountDraft(
                bank_name="АО «Т-Банк»",
                bik=B_BIK,
                account=B_ACCOUNT,
                correspondent_account="30101810145250000974",
                is_primary=True,
            )
        ],
    )
