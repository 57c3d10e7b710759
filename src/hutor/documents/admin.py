"""The provider's choice of closing document per customer type and the EDO participant
identifiers (editable), and the issued documents and advance invoices-factura (read only: an
issued act is never edited; `hutor documents close-month` corrects)."""

from django.contrib import admin
from django.http import HttpRequest

from hutor.documents.models import (
    AdvanceInvoice,
    ClosingDocument,
    ClosingLine,
    ClosingSetting,
    EdoParticipant,
)


@admin.register(ClosingSetting)
class ClosingSettingAdmin(admin.ModelAdmin):
    list_display = ["provider", "account_kind", "document_kind"]


@admin.register(EdoParticipant)
class EdoParticipantAdmin(admin.ModelAdmin):
    """The EDO operator's identifiers of provider companies and customers, named in the FNS
    file name of a УПД (documents.upd_xml)."""

    list_display = ["participant_id", "company", "billing_account"]
    search_fields = ["participant_id", "billing_account__number"]
    raw_id_fields = ["billing_account"]


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
