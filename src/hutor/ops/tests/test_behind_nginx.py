"""The bare-metal path, live: the commands of deploy/systemd's web and worker units (migrate,
gunicorn, the worker) with the production settings behind Debian's nginx running
deploy/nginx/hutor.conf (ports moved to free ones, a self-signed certificate). Proves
the proxy headers: https is seen as https (no redirect loop), the client's address reaches
the /metrics address list, the request id comes back, /healthz answers; a payment service's
notification through nginx credits its payment once (a forged one is refused and counted in
/metrics); `hutor deploy-check` on the same settings finds no problem."""

import hashlib
import json
import os
import secrets
import shlex
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from hutor.ops.tests.test_deploy_check import smtp as smtp
from hutor.ops.tests.test_deploy_files import DEPLOY, require_nginx, self_signed

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unit_commands(unit: str) -> dict[str, list[str]]:
    """The commands a unit of deploy/systemd runs (ExecStartPre, ExecStart), as on the server
    but from this checkout's virtualenv instead of /srv/hutor/.venv."""
    commands = {}
    for line in (DEPLOY / "systemd" / unit).read_text().splitlines():
        key, _, value = line.partition("=")
        if key in ("ExecStartPre", "ExecStart"):
            venv = value.replace("/srv/hutor/.venv/bin", str(BIN))
            commands[key] = shlex.split(venv)
    return commands


def wait_for(port: int) -> None:
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def site(tmp_path, smtp):
    require_nginx()
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HUTOR_", "DJANGO_", "CACHE_", "EMAIL_", "DATABASE_"))
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        HUTOR_SECRETS_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="billing.example.com",
        HUTOR_BASE_URL="https://billing.example.com",
        HUTOR_TRUSTED_PROXY_COUNT="1",
        HUTOR_VAR_DIR=str(tmp_path / "var"),
        HUTOR_METRICS_ALLOW="127.0.0.1",
        HUTOR_LOG_FORMAT="json",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp}",
        HUTOR_CLI_LANGUAGE="en",
    )
    # The web and worker units' own commands (hutor-web.service migrates, then gunicorn).
    web_unit, worker_unit = (
        unit_commands("hutor-web.service"),
        unit_commands("hutor-worker@.service"),
    )
    subprocess.run([*web_unit["ExecStartPre"], "-v", "0"], env=env, check=True)
    web = subprocess.Popen(
        [arg.replace("127.0.0.1:8000", f"127.0.0.1:{app_port}") for arg in web_unit["ExecStart"]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The worker says it polls once its SIGTERM handler is in place (unbuffered, into a file).
    worker_out = tmp_path / "worker.out"
    with worker_out.open("w") as out:
        worker = subprocess.Popen(
            worker_unit["ExecStart"],
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
    self_signed(tmp_path)
    conf = (DEPLOY / "nginx" / "hutor.conf").read_text()
    conf = (
        conf.replace("/etc/ssl/hutor", str(tmp_path))
        .replace("/var/log/nginx", str(tmp_path))
        .replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen [::]:80;", "")
    )
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log {tmp_path}/access.log; include /etc/nginx/mime.types;"
        f" include {tmp_path}/site.conf; }}\n"
    )
    proxy = subprocess.Popen(["nginx", "-c", str(tmp_path / "nginx.conf")])
    try:
        wait_for(app_port)
        wait_for(https_port)
        yield https_port, http_port, env
    finally:
        # Under load the test can end before the worker has started: SIGTERM would then find
        # Python's default action, not the worker's handler.
        deadline = time.monotonic() + 60
        while "polling" not in worker_out.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        proxy.terminate()
        web.terminate()
        worker.terminate()
        proxy.wait(10)
        web.wait(10)
        assert worker.wait(70) == 0, "the worker did not stop cleanly on SIGTERM"


def get(port, path, scheme="https", headers=None, data=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(
        f"{scheme}://127.0.0.1:{port}{path}",
        headers={"Host": "billing.example.com", **(headers or {})},
        data=urllib.parse.urlencode(data).encode() if data is not None else None,
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_hutor_behind_the_nginx_site(site):
    https_port, http_port, _env = site
    status, headers, body = get(https_port, "/healthz")
    assert (status, body) == (200, b'{"status": "ok"}')
    # The storefront over https: Django sees https (X-Forwarded-Proto), so no redirect, and
    # HSTS is sent.
    status, headers, _body = get(https_port, "/")
    assert status == 200
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert len(headers["X-Request-ID"]) == 32  # nginx's $request_id, passed through
    # The client (127.0.0.1) reaches the address list through X-Forwarded-For.
    status, _headers, body = get(https_port, "/metrics")
    assert status == 200 and b"hutor_queue_jobs" in body
    # A client's own X-Forwarded-For is overwritten, not trusted.
    status, _headers, _body = get(https_port, "/metrics", headers={"X-Forwarded-For": "10.9.9.9"})
    assert status == 200
    # Plain http is sent to https.
    status, headers, _body = get(http_port, "/login/", scheme="http")
    assert status == 301 and headers["Location"] == "https://billing.example.com/login/"


# A Robokassa method and a pending top-up, made in the site's own database.
SETUP = """
import json
from hutor.accounts.actions import open_billing_account
from hutor.core.money import Money
from hutor.payments.actions import start_top_up
from hutor.payments.models import Gateway, PaymentMethod
method = PaymentMethod.objects.create(
    slug="robokassa", gateway=Gateway.ROBOKASSA, name_ru="Робокасса", name_en="Robokassa",
    settings={"merchant_login": "shop", "password1": "one", "password2": "two",
              "hash_algorithm": "md5"},
)
account = open_billing_account(email="payer@example.com", name="Payer")
payment = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
print(json.dumps([payment.number, account.number]))
"""
STATUS = """
from hutor.payments.models import Payment
print(list(Payment.objects.values_list("status", flat=True)))
"""


def hutor(env, *args):
    done = subprocess.run(
        [BIN / "hutor", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    return done


def test_a_payment_notification_through_nginx_and_a_clean_deploy_check(site):
    https_port, _http_port, env = site
    made = hutor(env, "shell", "-c", SETUP)
    assert made.returncode == 0, made.stderr
    number, account = json.loads(made.stdout.strip().splitlines()[-1])
    # Signed with password #2 as Robokassa documents it (md5 of OutSum:InvId:password:Shp_...).
    data = {"OutSum": "700.000000", "InvId": number, "Shp_account": account}
    base = f"{data['OutSum']}:{number}:two:Shp_account={account}"
    signed = {**data, "SignatureValue": hashlib.md5(base.encode()).hexdigest()}
    forged = {**data, "SignatureValue": "0" * 32}
    status, _headers, body = get(https_port, "/pay/robokassa/result/", data=forged)
    assert (status, body) == (400, b"ERROR bad signature")
    for _attempt in range(2):  # Robokassa repeats a notification: credited once, OK both times
        status, _headers, body = get(https_port, "/pay/robokassa/result/", data=signed)
        assert (status, body) == (200, f"OK{number}".encode())
    status = hutor(env, "shell", "-c", STATUS)
    assert status.stdout.strip().splitlines()[-1:] == ["['succeeded']"], (
        status.stdout + status.stderr
    )
    _code, _headers, metrics = get(https_port, "/metrics")
    text = metrics.decode()
    assert 'hutor_payments_credited_total{method="robokassa"} 1.0' in text
    refused = 'hutor_payment_notifications_refused_total{method="robokassa",reason="bad signature"}'
    assert f"{refused} 1.0" in text
    ledger = hutor(env, "ledger", "check")
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    # The settings the site runs with pass the deployment check.
    checked = hutor(env, "deploy-check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "No problems found."
