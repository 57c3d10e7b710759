"""`field__among=values`: IN for a batch's worth of values (the billing run's hundreds of ids
and keys per query).

On PostgreSQL the values go as one array parameter, `field = ANY(%s)`: the statement's text
stays the same size whatever the list's length, so neither Django nor psycopg (which binds
parameters into the text on the client, Django's default) handles a thousand placeholders one
by one, and the server parses one short statement. The result is IN's: the same rows, None
left out (NULL equals nothing), an empty list matching nothing. On SQLite the values go as one
JSON array, `field IN (SELECT value FROM json_each(%s))`, when they are ints or strs (no
conversion to make); otherwise, and elsewhere, it is IN itself.

Pass a batch's values as a set where their order does not matter: Django walks a list or a
tuple value by value looking for expressions before any lookup sees it (Query.
resolve_lookup_value), and passes a set on as it is.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import AutoField, CharField, Field, ForeignObject, IntegerField, TextField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _AnyArray(In):
    def get_prep_lookup(self) -> Any:
        if self.rhs_is_direct_value() and _as_they_are(self.lhs.output_field, self.rhs):
            return list(self.rhs)  # nothing to prepare (_as_they_are)
        return super().get_prep_lookup()

    def _plain_values(self) -> list[Any] | None:
        """The distinct values, None left out, when they go to the database as they are."""
        if not self.rhs_is_direct_value() or not _as_they_are(self.lhs.output_field, self.rhs):
            return None
        return list(dict.fromkeys(value for value in self.rhs if value is not None))

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        if not self.rhs_is_direct_value():  # a subquery: IN (SELECT ...)
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self._plain_values()
        if values is None:
            prep = self.lhs.output_field.get_db_prep_value
            values = list(
                dict.fromkeys(
                    prep(value, connection, prepared=True)
                    for value in self.rhs
                    if value is not None
                )
            )
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", [*lhs_params, values]

    def as_sqlite(self, compiler: Any, connection: Any) -> Any:
        # The values as one JSON array parameter (SQLite 3.38+ has json_each built in): the
        # same short statement whatever their number, an index search per value (the plan is
        # `SEARCH ... USING INDEX` with `LIST SUBQUERY`), no placeholder per value to build.
        values = self._plain_values()
        if values is None:
            return self.as_sql(compiler, connection)
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (lhs: a column)
        return sql, [*lhs_params, json.dumps(values)]


def _as_they_are(field: Any, values: Any) -> bool:
    """Whether `values` (None aside) are what the database takes for `field` without any
    conversion: ints for an integer or auto field (a foreign key: its target's), strs for a
    text field, Django's own fields only (a field of our own may convert its values)."""
    if isinstance(field, ForeignObject):
        field = field.target_field
    if not type(field).__module__.startswith("django."):
        return False
    if isinstance(field, IntegerField | AutoField):
        plain: type = int
    elif isinstance(field, CharField | TextField):
        plain = str
    else:
        return False
    if not isinstance(values, list | tuple | set | frozenset):
        return False
    kinds = set(map(type, values))
    kinds.discard(type(None))
    return all(kind is plain for kind in kinds)


@Field.register_lookup
class Among(_AnyArray):
    lookup_name = "among"


@ForeignObject.register_lookup
class RelatedAmong(RelatedIn, _AnyArray):
    """`among` on a foreign key (`billing_account__among=ids`, `billing_account_id__among`)."""

    lookup_name = "among"

    def get_prep_lookup(self) -> Any:
        # Ints for an integer key are already what RelatedIn would make of them value by value
        # (get_normalized_value, the target field's get_prep_value): nothing to do.
        if (
            self.rhs_is_direct_value()
            and isinstance(self.lhs.output_field, ForeignObject)
            and _as_they_are(self.lhs.output_field, self.rhs)
        ):
            return list(self.rhs)
        return super().get_prep_lookup()
