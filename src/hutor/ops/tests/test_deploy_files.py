"""deploy/: what can be checked without Docker's daemon or a real host. nginx (Debian's) tests
the site with a self-signed certificate; systemd-analyze verifies the units (with the
installation's paths pointed at this checkout's programs); the compose file parses and runs
what the image installs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[4] / "deploy"
BIN = Path(sys.executable).parent


def self_signed(folder: Path) -> None:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=billing.example.com",
            "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


def require_nginx() -> None:
    """Skip without Debian's nginx, except in CI, which installs it (.ci/run) and must run these."""
    if not shutil.which("nginx"):
        reason = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the nginx tests", pytrace=False)
        pytest.skip(reason)


def test_the_nginx_site_is_valid(tmp_path):
    require_nginx()
    self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "hutor.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    (tmp_path / "site.conf").write_text(
        site.replace("/etc/ssl/hutor", str(tmp_path)).replace("/var/log/nginx", str(tmp_path))
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log {tmp_path}/access.log; include /etc/nginx/mime.types;"
        f" include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_the_systemd_units_verify(tmp_path):
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace("/srv/hutor/.venv/bin", str(BIN))
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, cwd=tmp_path
    )
    problems = [
        line
        for line in result.stderr.splitlines()
        # This machine has no hutor user or PostgreSQL unit: not the units' fault.
        if line.strip() and "postgresql.service" not in line and "hutor.env" not in line
    ]
    assert not problems, result.stderr


def test_the_compose_file_runs_the_installed_commands():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "web", "worker", "daily"} <= set(services)
    assert services["worker"]["command"][:2] == ["hutor", "worker"]
    assert "hutor billing run" in services["daily"]["command"][-1]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "USER hutor" in dockerfile
    assert dockerfile.count("FROM ") == 2  # the build tools stay in the first stage
