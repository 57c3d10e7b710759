"""The billing run killed with SIGKILL at 20 random moments, rerun each time, against a
file-based SQLite database: at the end every due service has exactly one renewal invoice,
numbers have no gaps, every reminder was queued once, and the ledger is clean."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

DAY = "2027-03-01"
KILLS = 20


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "HUTOR_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="hutor.settings",
        HUTOR_VAR_DIR=str(tmp_path),
        SECRET_KEY="crash-test-only",
        # A production-like process (DEBUG off) refuses to store a secret without a key, and
        # the populated payment method's settings are encrypted (a fixed test key).
        HUTOR_SECRETS_KEY="eyv3PAjW9orlNebYQNWuc9gqrVt869Cm8pzPTJBiHO4=",
        DEBUG="0",
        LOG_LEVEL="CRITICAL",
        # Small batches, so a kill lands inside the renewal step's work as often as not.
        HUTOR_BILLING_BATCH_SIZE="5",
        # A rest after each transaction stretches the run's work over a few seconds, so that
        # most of the 20 kills land inside it rather than at start-up or after the end.
        HUTOR_BILLING_PAUSE_MS="25",
        HUTOR_BILLING_REMINDER_DAYS="-3,0,3",
    )
    return env


def _hutor(*args: str) -> list[str]:
    return [sys.executable, "-c", "from hutor.cli import main; main()", *args]


@pytest.mark.slow  # a minute or more: `make test-slow`, and CI
def test_the_run_killed_at_random_moments_and_rerun_leaves_no_duplicates_and_no_gaps(tmp_path):
    env = _env(tmp_path)
    subprocess.run(_hutor("migrate", "-v0"), env=env, check=True, timeout=120)
    crashsite = [sys.executable, "-m", "hutor.billing.tests.crashsite"]
    subprocess.run([*crashsite, "populate", DAY], env=env, check=True, timeout=120)

    # How long the process takes to start, and a whole run (on a copy of the database): the
    # kills land between the two, mostly inside the run's work.
    began = time.monotonic()
    subprocess.run(
        _hutor("billing", "run", "--date", "2000-01-01", "--dry-run"),  # a day with no work
        env=env,
        check=True,
        capture_output=True,
    )
    startup = time.monotonic() - began
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(tmp_path / "hutor.sqlite3", copy / "hutor.sqlite3")
    began = time.monotonic()
    subprocess.run(
        _hutor("billing", "run", "--date", DAY),
        env={**env, "HUTOR_VAR_DIR": str(copy)},
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )
    full = time.monotonic() - began

    rng = random.Random(os.environ.get("HUTOR_CRASH_SEED", "20"))
    killed = attempts = 0
    window = full
    while killed < KILLS:
        attempts += 1
        assert attempts <= 3 * KILLS, f"only {killed} runs were still running when killed"
        child = subprocess.Popen(
            _hutor("billing", "run", "--date", DAY),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        began = time.monotonic()
        moment = rng.uniform(min(startup * 0.7, window), window)
        if killed == 0:
            # The first kill waits for the run to have begun its work (its row "running"),
            # however long a loaded machine takes to start it: one kill at least lands inside.
            while child.poll() is None and not _running(tmp_path / "hutor.sqlite3"):
                time.sleep(0.005)
            moment = time.monotonic() - began + rng.uniform(0, 0.2)
        while child.poll() is None and time.monotonic() - began < moment:
            time.sleep(0.005)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed += 1
        else:
            # It finished first: less work is left, so the next moments come sooner.
            window = (time.monotonic() - began) * 0.95
        child.wait(timeout=60)

    final = subprocess.run(
        _hutor("billing", "run", "--date", DAY),
        env=env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert final.returncode == 0, final.stdout + final.stderr
    out = subprocess.run(
        [*crashsite, "verify", DAY],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(out)
    assert report["renewals_expected"] > 50
    assert report["renewals_missing"] == [] and report["renewals_unexpected"] == []
    assert report["due_left"] == 0
    assert report["numbers_contiguous"]
    assert report["wrong_extensions"] == []
    assert report["reminders_expected"] > 0 and report["reminders_missing"] == []
    assert report["task_duplicates"] == 0
    assert report["suspended"] >= 20 and report["terminated"] == 20 and report["cancelled"] == 20
    assert report["payments_pending"] == 0
    assert report["ledger_ok"], report["ledger_violations"]
    assert report["last_run"] == ["done", 0]
    assert report["expired"] > 0
    assert report["interrupted"] >= 1  # at least one was killed inside the run's work


def _running(database: Path) -> bool:
    """Whether a billing run is at work in `database` (its row's status "running")."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.05) as db:
            return bool(
                db.execute("SELECT 1 FROM billing_billingrun WHERE status = 'running'").fetchone()
            )
    except sqlite3.OperationalError:  # locked by the writer for a moment: ask again
        return False


@pytest.fixture(autouse=True)
def _no_db():
    """This test talks to its own database through child processes only."""
