"""`field__among=values`: IN for a batch's worth of values (the billing run's hundreds of ids
and keys per query).

On PostgreSQL the values go as one array parameter, `field = ANY(%s)`: the statement's text
stays the same size whatever the list's length, so neither Django nor psycopg (which binds
parameters into the text on the client, Django's default) handles a thousand placeholders one
by one, and the server parses one short statement. The result is IN's: the same rows, None
left out (NULL equals nothing), an empty list matching nothing. Elsewhere it is IN itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _AnyArray(In):
    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        if not self.rhs_is_direct_value():  # a subquery: IN (SELECT ...)
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prep = self.lhs.output_field.get_db_prep_value
        values = list(
            dict.fromkeys(
                prep(value, connection, prepared=True) for value in self.rhs if value is not None
            )
        )
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", [*lhs_params, values]


@Field.register_lookup
class Among(_AnyArray):
    lookup_name = "among"


@ForeignObject.register_lookup
class RelatedAmong(RelatedIn, _AnyArray):
    """`among` on a foreign key (`billing_account__among=ids`, `billing_account_id__among`)."""

    lookup_name = "among"
