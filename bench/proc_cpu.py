"""CPU time of processes on this machine, read from Linux's /proc: what the benchmarks divide by
their requests or runs (the gunicorn workers, PostgreSQL's backends, a check's backend), since
a loaded machine disturbs CPU time less than wall time."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(*pids: int) -> float:
    """CPU seconds (user + system) the processes have used so far; one gone is skipped."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int | None:
    """The process id of this process's PostgreSQL backend (the server runs on this machine);
    None on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid: int = cursor.fetchone()[0]
    return pid
