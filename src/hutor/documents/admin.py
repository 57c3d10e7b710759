"""The provider's choice of closing document per customer type (editable), and the issued
documents and advance invoices-factura (read only: an issued act is never edited; `hutor
documents close-month` corrects)."""

from django.contrib import admin
from django.http import HttpRequest

from hutor.documents.models import AdvanceInvoice, ClosingDocument, ClosingLine, ClosingSetting


@admin.register(ClosingSetting)
class ClosingSettingAdmin(admin.ModelAdmin):
    list_display = ["provider", "account_kind", "document_kind"]


class ClosingLineInline(admin.TabularInline):
    model = ClosingLine
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "position",
        "description_ru",
        "start",
        "end",
        "amount",
        "vat_amount",
    )


@admin.register(ClosingDocument)
class ClosingDocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "year", "kind", "issued_on", "billing_account", "correction", "total"]
    list_filter = ["kind", "year"]
    inlines = [ClosingLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AdvanceInvoice)
class AdvanceInvoiceAdmin(admin.ModelAdmin):
    """Read only: an issued advance invoice-factura is never edited."""

    list_display = ["number", "year", "issued_on", "billing_account", "amount", "vat_amount"]
    list_filter = ["year"]
    search_fields = ["payment_document", "billing_account__number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
