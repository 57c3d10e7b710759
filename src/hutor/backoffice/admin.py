"""The desk's tables in the Django admin: staff roles editable, the audit log read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hutor.backoffice.models import AuditEntry, Note, StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__full_name"]
    raw_id_fields = ["user"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Append-only: shown, never added, changed or deleted here."""

    list_display = ["created_at", "staff", "action", "billing_account", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["staff__email", "billing_account__number", "object_id", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["created_at", "billing_account", "author"]
    search_fields = ["billing_account__number", "text"]
    raw_id_fields = ["billing_account", "author"]
    readonly_fields = ["created_at"]
