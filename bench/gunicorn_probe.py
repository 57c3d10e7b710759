"""gunicorn hooks for bench/notifications.py's `--hold` and `--profile-server`: what each worker
measured, written to $BENCH_PROBE_DIR when the worker exits (the bench reads it back).

--hold: how long each credit holds the lock every credit needs, from the ledger's lock of its
accounts (ledger.posting._lock_accounts returned: on SQLite the database's one write lock is
already held since BEGIN IMMEDIATE; on PostgreSQL, before ledger.deferred, the method's clearing
account's row, which every credit writes, was locked from there) to the end of the commit, the
commit's share of it, and how long the ledger's lock was waited for; and where the clearing
account is written last (ledger.deferred._write, PostgreSQL), that statement's time (the wait
for the row and the update) and the hold from its end to the commit's end. The wrappers time
the calls and change nothing else.

--profile-server: each worker's request handling (gthread's `handle`: parsing, Django, writing
the answer) under cProfile, one profiler per thread, the stats in worker-PID.prof; the main
thread's accept/poll loop is not profiled. Times are wall times per thread, waits included.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import threading
import time
from pathlib import Path
from typing import Any

_local = threading.local()
_profilers: list[cProfile.Profile] = []
_hold = {
    "credits": 0,
    "held": 0.0,
    "commit": 0.0,
    "lock_wait": 0.0,
    "last_credits": 0,
    "last_held": 0.0,
    "last_write": 0.0,
}


def post_worker_init(worker: Any) -> None:
    if os.environ.get("BENCH_PROBE_HOLD"):
        _time_the_hold()
    if os.environ.get("BENCH_PROBE_PROFILE"):
        _profile(worker)


def _time_the_hold() -> None:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from hutor.ledger import posting

    lock_accounts = posting._lock_accounts
    commit = BaseDatabaseWrapper.commit
    try:
        from hutor.ledger import deferred
    except ImportError:  # a tree from before ledger.deferred
        deferred = None  # type: ignore[assignment]

    def timed_lock_accounts(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        accounts = lock_accounts(*args, **kwargs)
        _local.locked = time.perf_counter()
        _hold["lock_wait"] += _local.locked - started
        return accounts

    def timed_write(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return write(*args, **kwargs)
        finally:
            _local.written = time.perf_counter()
            _hold["last_write"] += _local.written - started

    def timed_commit(self: BaseDatabaseWrapper) -> None:
        started = time.perf_counter()
        try:
            commit(self)
        finally:
            written = getattr(_local, "written", None)
            if written is not None:
                _hold["last_credits"] += 1
                _hold["last_held"] += time.perf_counter() - written
                _local.written = None
            locked = getattr(_local, "locked", None)
            if locked is not None:
                ended = time.perf_counter()
                _hold["credits"] += 1
                _hold["held"] += ended - locked
                _hold["commit"] += ended - started
                _local.locked = None

    posting._lock_accounts = timed_lock_accounts  # type: ignore[assignment]
    if deferred is not None:
        write = deferred._write
        deferred._write = timed_write  # type: ignore[assignment]
    BaseDatabaseWrapper.commit = timed_commit  # type: ignore[method-assign]


def _profile(worker: Any) -> None:
    handle = worker.handle

    def profiled(*args: Any) -> Any:
        profiler = getattr(_local, "profiler", None)
        if profiler is None:
            profiler = _local.profiler = cProfile.Profile()
            _profilers.append(profiler)
        profiler.enable()
        try:
            return handle(*args)
        finally:
            profiler.disable()

    worker.handle = profiled


def worker_exit(server: Any, worker: Any) -> None:
    folder = Path(os.environ["BENCH_PROBE_DIR"])
    if _hold["credits"]:
        (folder / f"hold-{os.getpid()}.json").write_text(json.dumps(_hold))
    if _profilers:
        stats = pstats.Stats(_profilers[0])
        for profiler in _profilers[1:]:
            stats.add(profiler)
        stats.dump_stats(str(folder / f"worker-{os.getpid()}.prof"))
