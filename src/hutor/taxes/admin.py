from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from hutor.core import clock
from hutor.taxes import actions
from hutor.taxes.calculations import check_rule
from hutor.taxes.models import TaxRule


class TaxRuleForm(forms.ModelForm):
    class Meta:
        model = TaxRule
        fields = ["provider", "regime", "rate", "effective_from"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        regime = data.get("regime")
        if regime:
            problem = check_rule(regime, data.get("rate"))
            if problem is not None:
                raise forms.ValidationError(problem)
        return data

    def validate_unique(self) -> None:
        # The one-rule-per-date constraint, said in the reader's words (actions say the same).
        provider = self.cleaned_data.get("provider")
        date = self.cleaned_data.get("effective_from")
        if (
            provider is not None
            and date is not None
            and TaxRule.objects.filter(provider=provider, effective_from=date).exists()
        ):
            self.add_error("effective_from", actions.same_date_message(date))


@admin.register(TaxRule)
class TaxRuleAdmin(admin.ModelAdmin):
    """Rules are added and (before they take effect) removed; never edited: one in force is
    the history of what documents carried."""

    form = TaxRuleForm
    list_display = ["provider", "effective_from", "regime", "rate"]
    list_filter = ["regime"]
    ordering = ["provider", "-effective_from"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= clock.today():
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> Any:
        actions_ = super().get_actions(request)
        actions_.pop("delete_selected", None)  # a rule in force is never removed, not even in bulk
        return actions_

    def save_model(self, request: HttpRequest, obj: TaxRule, form: Any, change: bool) -> None:
        rule = actions.add_rule(
            provider=obj.provider,
            regime=obj.regime,
            rate=obj.rate,
            effective_from=obj.effective_from,
        )
        obj.pk = rule.pk

    def delete_model(self, request: HttpRequest, obj: TaxRule) -> None:
        actions.withdraw_rule(rule=obj)
