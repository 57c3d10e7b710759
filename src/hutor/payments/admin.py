from typing import Any

from django import forms
from django.contrib import admin

from hutor.payments.models import Payment, PaymentMethod, Refund

SECRET_HINTS = ("secret", "key", "password", "token")


def mask(settings: dict[str, Any]) -> dict[str, Any]:
    """Secrets are never shown back in full: the last four characters at most."""
    shown = {}
    for name, value in settings.items():
        if any(hint in name.lower() for hint in SECRET_HINTS) and isinstance(value, str):
            shown[name] = ("•" * 8 + value[-4:]) if len(value) > 8 else "•" * 8
        else:
            shown[name] = value
    return shown


class PaymentMethodForm(forms.ModelForm):
    class Meta:
        model = PaymentMethod
        fields = [
            "slug",
            "gateway",
            "name_ru",
            "name_en",
            "currency",
            "settings",
            "is_test_mode",
            "is_enabled",
            "min_amount",
            "max_amount",
            "position",
        ]
        help_texts = {
            "settings": "Secrets are masked; a masked value left as it is keeps the secret."
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["settings"] = mask(self.instance.settings)

    def clean_settings(self) -> dict[str, Any]:
        new = self.cleaned_data["settings"] or {}
        old = self.instance.settings if self.instance.pk else {}
        # A masked value coming back unchanged means "keep the stored secret".
        return {
            k: (old.get(k, v) if isinstance(v, str) and v.startswith("••••") else v)
            for k, v in new.items()
        }


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    form = PaymentMethodForm
    list_display = [
        "slug",
        "gateway",
        "name_ru",
        "currency",
        "is_test_mode",
        "is_enabled",
        "position",
    ]
    list_editable = ["is_enabled", "position"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "billing_account",
        "method",
        "amount",
        "currency",
        "status",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "method"]
    search_fields = ["number", "gateway_transaction_id", "billing_account__number"]
    list_select_related = ["billing_account", "method"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    """Read only: refunds are written by payments.refunds (the desk's refund actions)."""

    list_display = ["pk", "payment", "amount", "currency", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["payment__number", "gateway_refund_id", "idempotency_key"]
    list_select_related = ["payment"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Bank statements, their reports, the unmatched queue and manual payments are worked in the
# desk (/desk/bank/, backoffice/views/bank.py), not here.
