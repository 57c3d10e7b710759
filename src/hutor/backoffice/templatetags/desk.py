"""Small template helpers of the desk."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """`{{ row|get_item:key }}`: a dict's value by a key held in a variable."""
    return mapping.get(key, "") if isinstance(mapping, dict) else ""
