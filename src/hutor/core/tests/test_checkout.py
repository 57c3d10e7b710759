"""A fresh checkout's `hutor` commands work the way `make run` does (issue 12, item 16): after
`make run`'s setup, `hutor ledger check` in a shell without DEBUG exits 0 instead of a
44-line traceback and exit 1, the status of a broken ledger. A configuration problem is one
line and exit 2, and so is a check that could not run; links of commands in another shell use
the port `make run` served (item 17).

The checkout is a copy of the repository's tracked files in a temporary directory, set up by
its own Makefile's `setup` target (the part of `make run` before serving) with this test
run's virtual environment and the copy's sources on PYTHONPATH; everything runs on the copy's
own SQLite file under its var/, whatever database the suite uses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
VENV = Path(sys.executable).parent.parent
HUTOR = VENV / "bin" / "hutor"
# What a developer's shell may carry that would make the checkout something other than fresh.
DROPPED = {
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "CACHE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "ALLOWED_HOSTS",
    "PORT",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "PYTHONPATH",
}


def _copy_tracked_files(target: Path) -> None:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not run from a git checkout")
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _env(checkout: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in DROPPED and not key.startswith("HUTOR_")
    }
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    env.update(PYTHONPATH=str(checkout / "src"), LOG_LEVEL="WARNING", LANG="C.UTF-8")
    env.update(extra)
    return env


def _run(cwd: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("make") is None:
        pytest.skip("needs make")
    checkout = tmp_path_factory.mktemp("checkout")
    _copy_tracked_files(checkout)
    # `make run` with PORT=8099, minus the serving: the venv is this run's (-o: taken as
    # installed, not rebuilt), DEBUG only as the Makefile sets it for its own commands.
    setup = _run(
        checkout,
        _env(checkout, PORT="8099"),
        "make",
        "--no-print-directory",
        f"VENV={VENV}",
        "-o",
        f"{VENV}/.installed",
        "setup",
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "http://127.0.0.1:8099/panel/  (" in setup.stdout  # the panel, in any language
    return checkout


def test_ledger_check_after_make_runs_setup_without_debug_exits_0(checkout):
    env = _env(checkout)
    assert "DEBUG" not in env and "SECRET_KEY" not in env

    where = _run(checkout, env, str(HUTOR), "shell", "-c", "import hutor; print(hutor.__file__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.splitlines()[-1] == str(checkout / "src" / "hutor" / "__init__.py")

    check = _run(checkout, env, str(HUTOR), "ledger", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("проверка учёта: в порядке (")  # commands speak Russian
    assert check.stderr == ""


def test_commands_in_another_shell_link_to_the_port_make_run_served(checkout):
    shown = _run(
        checkout,
        _env(checkout),
        str(HUTOR),
        "shell",
        "-c",
        "from django.conf import settings; print(settings.HUTOR_BASE_URL)",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1] == "http://127.0.0.1:8099"
    # The environment still wins over the checkout's default.
    shown = _run(
        checkout,
        _env(checkout, HUTOR_BASE_URL="https://billing.example.com/"),
        str(HUTOR),
        "shell",
        "-c",
        "from django.conf import settings; print(settings.HUTOR_BASE_URL)",
    )
    assert shown.stdout.splitlines()[-1] == "https://billing.example.com"


def test_a_configuration_problem_is_one_line_and_exit_2(tmp_path):
    """No SECRET_KEY, no DEBUG and no key kept under var/: not a traceback, not exit 1."""
    result = _run(tmp_path, _env(tmp_path), str(HUTOR), "ledger", "check")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("hutor: ошибка настройки: SECRET_KEY must be set")

    english = _run(tmp_path, _env(tmp_path, LANG="en_GB.UTF-8"), str(HUTOR), "ledger", "check")
    assert english.returncode == 2
    assert english.stderr.startswith("hutor: configuration error: SECRET_KEY must be set")
    assert not (tmp_path / "var").exists()


def test_ledger_check_that_could_not_run_exits_2(tmp_path):
    """A database that was never migrated: the check did not run, which is not a broken
    ledger (1)."""
    result = _run(tmp_path, _env(tmp_path, SECRET_KEY="x"), str(HUTOR), "ledger", "check")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "проверка учёта не выполнена" in result.stderr
