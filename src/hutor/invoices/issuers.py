"""Which provider company issues an invoice, and the requisites it freezes.

A line's company is its service's tariff's (core.companies.company_for: the tariff's company,
else the one billing the customer's kind, else the default); an invoice is one company's, so an
order mixing tariffs of two companies becomes one invoice per company (split_by_company).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.forms.models import model_to_dict

from hutor.catalog.models import Tariff
from hutor.core import companies as core_companies
from hutor.core.models import Provider
from hutor.invoices.exceptions import ProviderNotConfigured

if TYPE_CHECKING:
    from hutor.invoices.actions import LineDraft

# The company fields that are settings, not requisites: not frozen on documents.
NOT_REQUISITES = ("id", "is_default", "customer_kinds", "prices_include_vat")


def provider_snapshot(company: Provider | None = None) -> dict[str, Any]:
    """The company's requisites frozen on a document (the default company's when None);
    raises ProviderNotConfigured. Its "id" names the company whose tax rules apply."""
    provider = company if company is not None else Provider.current()
    if provider is None:
        raise ProviderNotConfigured(
            "the provider's requisites are not set (admin: Core > Provider requisites)"
        )
    snapshot = model_to_dict(provider, exclude=list(NOT_REQUISITES))
    snapshot["id"] = provider.pk  # the company whose tax rules apply (taxes.queries)
    return snapshot


class Issuers:
    """The companies and the tariffs naming one, read once for a batch of invoices."""

    def __init__(self) -> None:
        self.companies = core_companies.load()
        self.tariff_company = dict(
            Tariff.objects.filter(company__isnull=False).values_list("pk", "company_id")
        )

    def line_company(self, line: LineDraft, account_kind: str) -> Provider:
        """The company selling one line; raises ProviderNotConfigured when there is none."""
        tariff_company = None
        if line.service is not None:
            tariff_company = self.tariff_company.get(line.service.tariff_id)
        found = self.companies.company_for(tariff_company, account_kind)
        if found is None:
            raise ProviderNotConfigured(
                "the provider's requisites are not set (admin: Core > Provider requisites)"
            )
        return found

    def draft_company(self, lines: Sequence[LineDraft], account_kind: str) -> Provider:
        """An invoice's company: its first line's (split_by_company keeps each invoice to one
        company's lines)."""
        return self.line_company(lines[0], account_kind)

    def split(
        self, lines: Sequence[LineDraft], account_kind: str
    ) -> list[tuple[Provider, list[LineDraft]]]:
        """The lines grouped by the company selling them, in the order each company first
        appears (the lines keep their order within a group)."""
        groups: dict[int, tuple[Provider, list[LineDraft]]] = {}
        for line in lines:
            company = self.line_company(line, account_kind)
            groups.setdefault(company.pk, (company, []))[1].append(line)
        return list(groups.values())
