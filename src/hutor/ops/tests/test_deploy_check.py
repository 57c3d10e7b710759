"""`hutor deploy-check`: the real settings of a production install pass it clean (a fresh
process, a real SMTP server on 127.0.0.1); each wrong setting is one line, exit 1, in both
languages."""

import os
import secrets
import socket
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

HUTOR = [sys.executable, "-m", "hutor.cli"]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


@pytest.fixture
def smtp():
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HUTOR_", "DJANGO_", "CACHE_", "EMAIL_", "DATABASE_"))
        and k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "REDIS_URL"}
    }
    env.update(
        {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "billing.example.com",
            "HUTOR_BASE_URL": "https://billing.example.com",
            "HUTOR_TRUSTED_PROXY_COUNT": "1",
            "HUTOR_SECRETS_KEY": Fernet.generate_key().decode(),
            "HUTOR_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'hutor.sqlite3'}",
            "HUTOR_CLI_LANGUAGE": "en",
            **extra,
        }
    )
    return env


def hutor(env, *args):
    return subprocess.run(
        [*HUTOR, *args], env=env, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.mark.slow
def test_a_production_install_passes_clean(tmp_path, smtp):
    env = production_env(tmp_path, EMAIL_URL=f"smtp://127.0.0.1:{smtp}")
    assert hutor(env, "migrate", "--no-input").returncode == 0
    result = hutor(env, "deploy-check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "No problems found."
    # The same install with a mail server that is down, in Russian.
    env.update(EMAIL_URL=f"smtp://127.0.0.1:{free_port()}", HUTOR_CLI_LANGUAGE="ru")
    result = hutor(env, "deploy-check")
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("email: ") and "127.0.0.1:" in line
    assert "Почтовый сервер" in line
    assert "1 проблема" in result.stderr


def test_each_wrong_setting_is_one_line(db, settings, capsys):
    # The test settings: a memory cache, mail to files, an http base URL, DEBUG off.
    settings.SECRET_KEY = "short"
    settings.ALLOWED_HOSTS = ["*"]
    settings.HUTOR_DEMO_PAYMENTS = True
    settings.HUTOR_SECRETS_KEYS = ["not-a-key"]
    with pytest.raises(CommandError, match=r"problems: fix them before going live"):
        call_command("deploy-check")
    lines = capsys.readouterr().out.splitlines()
    codes = [line.split(":")[0] for line in lines]
    for code in (
        "secret_key",
        "allowed_hosts",
        "base_url",
        "demo_payments",
        "cache",
        "secrets_key",
        "email",
        "security.W009",
    ):
        assert code in codes, lines
    assert "very" not in "".join(lines)  # nothing of a key is shown
    assert "not-a-key" not in "".join(lines)


def test_base_url_host_must_be_allowed(db, settings, capsys):
    settings.ALLOWED_HOSTS = ["other.example.com"]
    settings.HUTOR_BASE_URL = "https://billing.example.com"
    with pytest.raises(CommandError):
        call_command("deploy-check")
    out = capsys.readouterr().out
    assert "does not include the host of HUTOR_BASE_URL (billing.example.com)" in out
    assert "base_url:" not in out
