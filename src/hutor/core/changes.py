"""What an edit changed, in the shape every audit entry uses: {field: {"from": …, "to": …}}.

One place for it, so the desk's audit reads the same whichever app made the change: a long text
is recorded by its length (the text itself stays in its record, not in the audit), a date as an
ISO string, a referenced row by the attribute its caller names (a category by its slug, a
department by its code), and a field that did not exist before as `None`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Fields holding texts long enough that the audit records their size, not their words.
LONG_TEXT_PREFIXES = ("text_", "body_")


def plain(name: str, value: Any, refs: Mapping[str, str] | None = None) -> Any:
    """A value as the audit stores it (JSON-safe)."""
    if value is None:
        return None
    if refs and name in refs:
        return getattr(value, refs[name])
    if name.startswith(LONG_TEXT_PREFIXES):
        return f"{len(str(value))} chars"
    return value.isoformat() if hasattr(value, "isoformat") else value


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], *, refs: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The fields of `after` whose value differs from `before` (missing there: `None`)."""
    return {
        name: {"from": plain(name, before.get(name), refs), "to": plain(name, value, refs)}
        for name, value in after.items()
        if before.get(name) != value
    }
