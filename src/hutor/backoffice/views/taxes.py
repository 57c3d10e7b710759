"""The desk's page of the provider companies' tax rules: each company's rules by date with the
one in force marked, a rule added, a rule not yet in force withdrawn. Administrators keep it,
with the rest of the provider's settings (roles.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from hutor.backoffice import roles
from hutor.backoffice.actions import taxes as tax_actions
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.tax_forms import TaxRuleForm
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core import clock
from hutor.core.models import Provider
from hutor.taxes import queries
from hutor.taxes.models import TaxRule


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@roles.require_role("admin")
def tax_rules(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    companies = [
        {
            "provider": provider,
            "rules": queries.rules(provider.pk),
            "in_force": queries.rule_on(provider.pk, today),
        }
        for provider in Provider.objects.order_by("pk")
    ]
    return render_desk(
        request, "backoffice/taxes/list.html", {"companies": companies, "today": today}
    )


@roles.require_action("tax.rule_add")
def tax_rule_add(request: HttpRequest, provider: int) -> HttpResponse:
    company = get_object_or_404(Provider, pk=provider)
    form = TaxRuleForm(_post(request))

    def perform(data: dict[str, Any]) -> str:
        rule = tax_actions.add_tax_rule(
            staff=staff_of(request),
            provider=company,
            regime=data["regime"],
            rate=data["rate"],
            effective_from=data["effective_from"],
            reason=data["reason"],
        )
        return _("From %(date)s, %(company)s's documents carry: %(regime)s.") % {
            "date": formats.date_format(rule.effective_from, "SHORT_DATE_FORMAT"),
            "company": company,
            "regime": rule.get_regime_display()
            + ("" if rule.rate is None else f", {rule.rate.normalize():f} %"),
        }

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:tax_rules"),
        title=_("Add a tax rule"),
        subject=str(company),
        intro=_(
            "From its date on, new invoices and documents of this company carry the regime and "
            "VAT rate given here; documents already issued keep theirs. A rule for 1 January "
            "can be added in advance: the billing run switches on the day with no one at the desk."
        ),
        button=_("Add the rule"),
    )


@roles.require_action("tax.rule_withdraw")
def tax_rule_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(TaxRule.objects.select_related("provider"), pk=pk)
    form = ReasonForm(_post(request))

    def perform(data: dict[str, Any]) -> str:
        tax_actions.withdraw_tax_rule(staff=staff_of(request), rule=rule, reason=data["reason"])
        return _("The rule from %(date)s is withdrawn.") % {
            "date": formats.date_format(rule.effective_from, "SHORT_DATE_FORMAT")
        }

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:tax_rules"),
        title=_("Withdraw the tax rule"),
        subject=f"{rule.provider}: {rule.get_regime_display()}",
        intro=_("Only a rule that has not taken effect yet can be withdrawn."),
        button=_("Withdraw"),
        danger=True,
    )
