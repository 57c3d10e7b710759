"""Reads of the payments app for its hot paths."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from hutor.core import reads
from hutor.payments.models import PaymentMethod, method_name

# slug -> (the row's stored values, the method built from them), per process.
_methods: dict[str, tuple[tuple[Any, ...], PaymentMethod]] = {}


@cache
def _method_sql() -> str:
    columns = ", ".join(f.column for f in PaymentMethod._meta.concrete_fields)
    table = connection.ops.quote_name(PaymentMethod._meta.db_table)
    return f"SELECT {columns} FROM {table} WHERE slug = %s AND is_enabled"  # noqa: S608


def enabled_method(slug: str) -> PaymentMethod | None:
    """The enabled payment method with this slug, for a payment service's notification (read
    for every delivery, replays included: docs/performance.md, "Payment notifications").

    Its row is read by hand, one short statement; the model instance, settings decrypted, is
    kept in this process and built again (through the ORM) whenever the row's stored values
    are not those it was built from: an edit, a key rotation (new ciphertext), disabling. So it
    is never staler than the row just read. Callers read it and never change it (it is shared
    by the requests of this process).
    """
    with connection.cursor() as cursor:
        cursor.execute(_method_sql(), [slug])
        row = cursor.fetchone()
    if row is None:
        _methods.pop(slug, None)
        return None
    stored = tuple(row)
    kept = _methods.get(slug)
    if kept is not None and kept[0] == stored:
        return kept[1]
    method = PaymentMethod.objects.filter(pk=stored[0], is_enabled=True).first()
    if method is not None:
        _methods[slug] = (stored, method)
    return method


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """A payment method as the top-up forms offer it: its id and its name in the active
    language."""

    pk: int
    name: str


def _choices_sql() -> str:
    c, m = reads.column, PaymentMethod
    return (
        f"SELECT {c(m, 'id')}, {c(m, 'name_ru')}, {c(m, 'name_en')} "  # noqa: S608
        f"FROM {reads.table(m)} WHERE {c(m, 'is_enabled')} AND {c(m, 'currency')} = %s "
        f"ORDER BY {c(m, 'position')}, {c(m, 'slug')}"
    )


_CHOICES = reads.Read(_choices_sql, [None, None, None])


def method_choices(currency: str) -> list[MethodChoice]:
    """The enabled payment methods of `currency`, in their configured order (one query)."""
    return [
        MethodChoice(pk, method_name(name_ru, name_en))
        for pk, name_ru, name_en in _CHOICES.rows([currency])
    ]
