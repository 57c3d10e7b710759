"""Test helpers that are not fixtures (the fixtures live in conftest.py).

`network_in_transaction_guard` enforces the house rule "no network call inside a transaction":
a request to a payment service or a control panel takes seconds (up to the client's timeout),
and inside `transaction.atomic` it would hold the row locks taken so far all that time (a
customer's balance, a method's clearing account, so every notification of that method waits).
"""

from __future__ import annotations

import socket
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


class NetworkInTransaction(AssertionError):
    """An outbound connection was opened while a transaction was open."""


@dataclass
class Guard:
    """What the guard saw: one line per connection opened inside a transaction."""

    violations: list[str] = field(default_factory=list)

    def report(self) -> str:
        return "outbound network connection inside transaction.atomic:\n" + "\n".join(
            self.violations
        )


def _in_transaction() -> bool:
    """Whether the current thread's database connection is inside an atomic block that the
    code under test opened (the test case's own wrapping transaction does not count)."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks):
            return True
        if conn.in_atomic_block and not conn.atomic_blocks:  # pragma: no cover (autocommit off)
            return True
    return False


def _database_addresses() -> set[tuple[str, int]]:
    """The database servers' (host, port): the database's own connection is allowed."""
    from django.conf import settings

    found = set()
    for db in settings.DATABASES.values():
        if db.get("HOST"):
            found.add((str(db["HOST"]), int(db.get("PORT") or 5432)))
    return found


# Guards in force, innermost last: a connection is reported to the innermost one only (a test
# that nests a strict guard to prove it fires does not fail the autouse one around it).
_active: list[Guard] = []


@contextmanager
def network_in_transaction_guard(*, strict: bool = True) -> Iterator[Guard]:
    """Watch every TCP connection opened in the block (socket.connect, which urllib, http.client,
    `requests` and the Stripe library all end in). One opened while the code under test is
    inside `transaction.atomic` is recorded with the stack that opened it; with `strict`,
    leaving the block then raises NetworkInTransaction. The connection itself goes ahead, so
    the code under test behaves as it would, and the test fails with the reason."""
    guard = Guard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    allowed = _database_addresses()

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return  # a Unix socket is this machine (the database's, say), not the network
        host, port = address[0], address[1]
        # A guard left installed after its block (a monkeypatch that saved it as the "old"
        # connect and restores it after the guard's own restore, as pytest-django's earlier
        # monkeypatch does in the Stripe and YooKassa tests) only passes connections through.
        if not _active or _active[-1] is not guard:
            return
        if (host, port) in allowed or not _in_transaction():
            return
        where = "".join(traceback.format_stack(limit=12)[:-2])
        guard.violations.append(f"connect to {host}:{port} from\n{where}")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    _active.append(guard)
    try:
        yield guard
    finally:
        _active.remove(guard)
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
    if strict and guard.violations:
        raise NetworkInTransaction(guard.report())


def save_pdf_screenshot(pdf: bytes, name: str) -> None:
    """With HUTOR_SCREENSHOTS set (e.g. docs/screenshots), save a PDF's first page as
    `<name>.png` (Debian's poppler-utils' pdftoppm), to be looked at and kept in the docs."""
    import os
    import shutil
    import subprocess
    from pathlib import Path

    folder = os.environ.get("HUTOR_SCREENSHOTS")
    if not folder or not shutil.which("pdftoppm"):
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - a fixed program on our own PDF
        ["pdftoppm", "-png", "-r", "80", "-singlefile", "-", str(Path(folder) / name)],  # noqa: S607
        input=pdf,
        check=True,
    )


def migrate_to(targets: list[tuple[str, str]] | None = None) -> Any:
    """Migrate the test database to `targets` (app, migration) pairs, or to the latest of
    every app when None, and return the historical models (`apps`) as they are there: the
    migration tests' before, after and back to the present (a fresh executor each time, as
    a migration run reads the graph anew)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets if targets is not None else executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
