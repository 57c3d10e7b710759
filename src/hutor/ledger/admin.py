from django.contrib import admin

from hutor.ledger.models import JournalEntry, LedgerAccount, Posting


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is written by actions only; the admin shows it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("account", "amount", "currency")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "currency", "balance", "min_balance"]
    list_filter = ["kind", "currency"]
    search_fields = ["code", "billing_account__number"]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "reference", "billing_account", "memo"]
    list_filter = ["kind"]
    search_fields = ["reference", "memo", "billing_account__number", "idempotency_key"]
    inlines = [PostingInline]
    list_select_related = ["billing_account"]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ["id", "entry", "account", "amount", "currency"]
    list_select_related = ["entry", "account"]
    search_fields = ["account__code"]
