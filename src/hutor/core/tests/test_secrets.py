"""Secrets at rest (core/secrets.py): encrypted with the first key, decrypted with any, shown
masked; a missing or wrong key is a clear one-line error. The database side (the column holds
ciphertext, `hutor secrets rotate`) is tested with the servers app's encrypted columns."""

import logging
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from hutor.core import secrets
from hutor.core.secrets import MASK, Secret, SecretError

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def test_round_trip():
    token = secrets.encrypt("s3cret-пароль")
    assert "s3cret" not in token
    assert secrets.decrypt(token) == "s3cret-пароль"
    # Fernet is randomised: the same text never gives the same ciphertext twice.
    assert secrets.encrypt("s3cret-пароль") != token


def test_rotation_with_two_keys():
    with override_settings(HUTOR_SECRETS_KEYS=[OLD]):
        token = secrets.encrypt("api-token")
    with override_settings(HUTOR_SECRETS_KEYS=[NEW, OLD]):
        assert secrets.decrypt(token) == "api-token"  # the old key still decrypts
        rotated = secrets.keyring().rotate(token.encode()).decode()
        fresh = secrets.encrypt("other")
    with override_settings(HUTOR_SECRETS_KEYS=[NEW]):  # the old key dropped after rotation
        assert secrets.decrypt(rotated) == "api-token"
        assert secrets.decrypt(fresh) == "other"  # new values were made with the first key
        with pytest.raises(SecretError, match="HUTOR_SECRETS_KEY"):
            secrets.decrypt(token)


def test_wrong_key_is_a_clear_error():
    with override_settings(HUTOR_SECRETS_KEYS=[OLD]):
        secret = Secret(token=secrets.encrypt("x"))
    with (
        override_settings(HUTOR_SECRETS_KEYS=[NEW]),
        pytest.raises(SecretError, match="HUTOR_SECRETS_KEY"),
    ):
        secret.reveal()


def test_no_key_or_a_malformed_key_is_a_configuration_error():
    with override_settings(HUTOR_SECRETS_KEYS=[]):
        with pytest.raises(ImproperlyConfigured, match="HUTOR_SECRETS_KEY must be set"):
            secrets.encrypt("x")
        # Reading an empty value needs no key.
        assert Secret(token="").reveal() == ""
    with (
        override_settings(HUTOR_SECRETS_KEYS=[NEW, "not-a-key"]),
        pytest.raises(ImproperlyConfigured, match="key 2 of 2 is not a Fernet key"),
    ):
        secrets.encrypt("x")


def test_a_secret_prints_masked(caplog):
    secret = Secret.of("hunter2")
    assert str(secret) == MASK and "hunter2" not in repr(secret)
    assert f"{secret}" == MASK
    with caplog.at_level(logging.INFO):
        logging.getLogger("hutor.test").info("credentials: %s %r", secret, secret)
    assert "hunter2" not in caplog.text
    assert secret.reveal() == "hunter2"
    assert str(Secret.of("")) == "" and not Secret.of("") and not Secret(token="")
    assert secrets.masked(secret) == MASK and secrets.masked("") == ""


def test_a_secret_read_from_the_database_is_decrypted_only_when_revealed():
    token = secrets.encrypt("pw")
    with override_settings(HUTOR_SECRETS_KEYS=[NEW]):
        secret = Secret(token=token)  # reading needs no decryption...
        assert bool(secret) and str(secret) == MASK
        assert secret.stored() == token  # ...and saving it again keeps its ciphertext
    assert secret.reveal() == "pw"


def test_settings_generate_a_local_key_once_and_require_one_without_debug(tmp_path):
    probe = "import hutor.settings as s; print(','.join(s.HUTOR_SECRETS_KEYS))"
    first = load_keys(tmp_path, probe, DEBUG="1")
    Fernet(first)  # a real key
    assert (tmp_path / "secrets_key").stat().st_mode & 0o777 == 0o600
    assert load_keys(tmp_path, probe, DEBUG="0") == first  # kept under var/, used without DEBUG
    assert load_keys(tmp_path, probe, DEBUG="0", HUTOR_SECRETS_KEY=f"{NEW}, {OLD}") == (
        f"{NEW},{OLD}"
    )
    assert load_keys(tmp_path / "empty", probe, DEBUG="0") == ""  # refused at first use


def load_keys(var_dir, probe, **env):
    """The settings imported fresh in a subprocess (as core/tests/test_settings.py does)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"HUTOR_SECRETS_KEY", "DEBUG", "DATABASE_URL", "SECRET_KEY"}
    }
    clean.update({"HUTOR_VAR_DIR": str(var_dir), "SECRET_KEY": "k" * 50, **env})
    result = subprocess.run(
        [sys.executable, "-c", probe], env=clean, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()
