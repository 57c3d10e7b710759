"""`{% load audit %}`: the audit log in words. `{{ entry.action|audit_action }}` names an action
in the reader's language; `{% audit_changes entry as rows %}` gives its changes as rows
(backoffice/audit.py decides the words)."""

from __future__ import annotations

from django import template

from hutor.backoffice import audit
from hutor.backoffice.models import AuditEntry

register = template.Library()


@register.filter
def audit_action(code: str) -> str:
    return audit.action_label(code)


@register.filter
def audit_object(object_type: str) -> str:
    return audit.object_label(object_type)


@register.simple_tag
def audit_changes(entry: AuditEntry) -> list[audit.ChangeRow]:
    return audit.change_rows(entry.changes, entry.object_type)


@register.filter
def audit_actor(entry: AuditEntry) -> str:
    return audit.actor_words(entry)
