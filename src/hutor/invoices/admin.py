from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path

from hutor.invoices.models import Invoice, InvoiceLine
from hutor.invoices.views import pdf_response


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = (
        "position",
        "kind",
        "description_ru",
        "period_start",
        "period_end",
        "amount",
        "service",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Invoices are issued and moved by actions; the admin shows them and their PDF."""

    list_display = [
        "number",
        "billing_account",
        "kind",
        "status",
        "total",
        "currency",
        "issue_date",
        "due_date",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["number", "billing_account__number", "billing_account__contact_email"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline]
    list_select_related = ["billing_account"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Invoice._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/pdf/", self.admin_site.admin_view(self.pdf), name="invoices_invoice_pdf"
            ),
            *super().get_urls(),
        ]

    def pdf(self, request: HttpRequest, pk: int) -> HttpResponse:
        return pdf_response(Invoice.objects.get(pk=pk))
