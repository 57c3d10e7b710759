from django.contrib import admin

from hutor.fiscal.models import CashRegister, FiscalReceipt


@admin.register(CashRegister)
class CashRegisterAdmin(admin.ModelAdmin):
    list_display = ["provider", "group_code", "base_url", "is_enabled"]


@admin.register(FiscalReceipt)
class FiscalReceiptAdmin(admin.ModelAdmin):
    list_display = ["external_id", "operation", "amount", "status", "fiscal_document_number"]
    list_filter = ["status", "operation"]
    search_fields = ["external_id", "payment__number", "operator_uuid"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
