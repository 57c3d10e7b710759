from typing import Any

from django.core.management.commands import flush
from django.db import connections

from hutor.ledger import guards


class Command(flush.Command):
    """Django's flush, lifting the ledger's append-only triggers for the flush alone.

    Emptying every table is flush's whole purpose (the test suite uses it between
    transactional tests); the triggers are back before it returns.
    """

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        guards.drop(connection)
        try:
            super().handle(**options)
        finally:
            guards.install(connection)
