"""A PostgreSQL server of the test's own, with a streaming replica: Debian's server binaries
(/usr/lib/postgresql/<version>/bin: initdb, pg_ctl, pg_basebackup) in a temporary directory,
on free loopback ports, trust authentication, removed afterwards.

PostgreSQL refuses to run as root: as root the binaries run as the `postgres` system user
(runuser), and the directory is handed to it. Where the binaries are missing the caller skips,
except in CI (CI=true), where that is a failure. This module imports nothing of Hutor's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from hutor.testing_pdns import free_port


def server_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"))
    return found[-1].parent if found else None


@dataclass
class Server:
    port: int
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class Cluster:
    primary: Server
    replica: Server
    folder: Path

    def replica_log(self) -> str:
        return (self.folder / "replica.log").read_text(errors="replace")


@contextmanager
def primary_and_replica(*, replica_options: str = "") -> Iterator[Cluster]:
    """A primary and a hot-standby streaming replica of it (pg_basebackup -R)."""
    bin_dir = server_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            raise AssertionError("PostgreSQL's server binaries are not installed")
        pytest.skip("PostgreSQL's server binaries (initdb, pg_basebackup) are not installed")
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="hutor-pg-"))
    if as_root:
        shutil.chown(folder, "postgres", "postgres")

    def run(*args: str) -> None:
        command = [str(bin_dir / args[0]), *args[1:]]
        if as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=folder)  # noqa: S603

    def start(server: Server, name: str, extra: str = "") -> None:
        options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 {extra}"
        run("pg_ctl", "-D", str(server.data), "-l", str(folder / f"{name}.log"), "-o", options,
            "-w", "-t", "60", "start")  # fmt: skip

    primary = Server(free_port(), folder / "primary")
    replica = Server(free_port(), folder / "replica")
    started: list[Server] = []
    try:
        run("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync")  # fmt: skip
        start(primary, "primary", "-c fsync=off")
        started.append(primary)
        run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.data), "-R", "-X", "stream")  # fmt: skip
        start(replica, "replica", f"-c fsync=off {replica_options}")
        started.append(replica)
        yield Cluster(primary, replica, folder)
    finally:
        for server in reversed(started):
            run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
