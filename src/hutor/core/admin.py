from django.contrib import admin

from hutor.core.models import Provider, Sequence


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["short_name", "inn", "kpp", "bank_name"]
    fieldsets = [
        (None, {"fields": ["legal_name", "short_name", "inn", "kpp", "ogrn", "address"]}),
        ("Contacts", {"fields": ["phone", "email", "website", "director", "accountant"]}),
        ("Bank", {"fields": ["bank_name", "bik", "correspondent_account", "settlement_account"]}),
    ]

    def has_add_permission(self, request):
        return not Provider.objects.exists()


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    """Read-only: a number sequence moved by hand could hand out a number twice."""

    list_display = ["name", "next_value"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
