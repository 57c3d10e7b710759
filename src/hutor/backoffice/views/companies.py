"""Administrators' pages for the provider companies: the list and a company's form."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.accounts.models import AccountKind
from hutor.backoffice import actions, roles
from hutor.backoffice.company_forms import REQUISITES, CompanyForm, initial_of
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core.models import Provider


@roles.require_page("admin")
def companies(request: HttpRequest) -> HttpResponse:
    kinds = dict(AccountKind.choices)
    rows = list(
        Provider.objects.annotate(tariff_count=Count("tariffs", distinct=True))
        .prefetch_related("bank_accounts")
        .order_by("-is_default", "pk")
    )
    for company in rows:
        company.kind_names = [kinds.get(k, k) for k in company.customer_kinds or []]  # type: ignore[attr-defined]
    return render_desk(request, "backoffice/admin/companies.html", {"companies": rows})


@roles.require_action("company.save")
def company_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    company = get_object_or_404(Provider, pk=pk) if pk else None
    form = CompanyForm(
        request.POST if request.method == "POST" else None,
        initial=initial_of(company) if company is not None else {"primary": "1"},
    )

    def perform(data: dict[str, Any]) -> str:
        saved = actions.save_company(
            staff=staff_of(request),
            company=company,
            values={name: data[name] or "" for name in REQUISITES}
            | {"prices_include_vat": data["prices_include_vat"]},
            customer_kinds=data["customer_kinds"],
            bank_accounts=form.bank_accounts(),
            make_default=data["make_default"],
            reason=data["reason"],
        )
        return _("The company %(name)s is saved; new documents use its requisites.") % {
            "name": str(saved)
        }

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:companies"),
        title=_("Provider company") if company is None else str(company),
        intro=_(
            "Printed on the documents of the services it sells; issued documents keep their "
            "own copy."
        ),
        button=_("Save"),
    )
