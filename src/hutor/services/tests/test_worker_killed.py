"""A worker killed with SIGKILL in the middle of a create task (issue 13): the real `hutor
worker` process, the real "script" module running the provider's script, a file-based SQLite
database. The script has done its work on the server when the worker and its child are killed;
the task stays claimed until its lease lapses, then a new worker does it again (the script is
idempotent: the account exists, with the same owner) and the task is done exactly once: one
account on the server, one done create task, one "service ready" email."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "provisioning" / "tests" / "scripts"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "HUTOR_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="hutor.settings",
        HUTOR_VAR_DIR=str(tmp_path),
        SECRET_KEY="killed-worker-test-only",
        HUTOR_SECRETS_KEY="eyv3PAjW9orlNebYQNWuc9gqrVt869Cm8pzPTJBiHO4=",
        DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    return env


def _hutor(*args: str) -> list[str]:
    return [sys.executable, "-c", "from hutor.cli import main; main()", *args]


def _site(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "hutor.services.tests.killsite", *args]
    done = subprocess.run(command, env=env, timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_create_interrupted_by_sigkill_is_done_exactly_once_after_restart(tmp_path):
    env = _env(tmp_path)
    scripts = tmp_path / "scripts"
    shutil.copytree(SCRIPTS, scripts)
    subprocess.run(_hutor("migrate", "-v0"), env=env, check=True, timeout=120)
    _site(env, "populate", str(scripts))
    assert [t["status"] for t in json.loads(_site(env, "report"))["tasks"]] == ["pending"]

    (scripts / "hang-after-create").touch()  # the script's first create waits to be killed
    worker = subprocess.Popen(
        _hutor("worker", "--interval", "0.2"),
        env=env,
        start_new_session=True,  # its own process group: the kill takes the script too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (scripts / "created-and-hanging").exists():
            assert worker.poll() is None, "the worker stopped by itself"
            assert time.monotonic() < deadline, "the worker never ran the create"
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # as the OOM killer or a power cut would
        worker.wait(timeout=30)
    accounts = json.loads((scripts / "accounts.json").read_text())
    assert list(accounts) == [next(iter(accounts))]  # the work was done on the server
    state = json.loads(_site(env, "report"))
    assert [(t["status"], t["attempts"]) for t in state["tasks"]] == [("running", 1)]
    assert state["remote_id"] == "" and state["ready_emails"] == 0  # nothing recorded

    # A new worker at once leaves the task to the dead one's lease.
    subprocess.run(_hutor("worker", "--once"), env=env, check=True, timeout=120)
    assert json.loads(_site(env, "report"))["tasks"][0]["status"] == "running"

    _site(env, "lapse")  # the lease runs out
    subprocess.run(_hutor("worker", "--once"), env=env, check=True, timeout=120)
    state = json.loads(_site(env, "report"))
    assert [(t["operation"], t["status"], t["attempts"]) for t in state["tasks"]] == [
        ("create", "done", 2)
    ]
    login = next(iter(accounts))
    assert state["remote_id"] == login and state["status"] == "active"
    assert json.loads((scripts / "accounts.json").read_text()).keys() == {login}
    assert (scripts / "creates.log").read_text().split() == [login, login]  # called twice
    assert state["ready_emails"] == 1  # and the customer told once
