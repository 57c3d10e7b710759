"""Settings for the test suite: the normal settings with a fixed key and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "hutor-tests-only-not-a-secret")

from hutor.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# The suite's command tests read English output; hutor/tests/test_cli_language.py runs the
# commands in both languages and proves that Russian is the default of the real settings.
HUTOR_CLI_LANGUAGE = os.environ.get("HUTOR_CLI_LANGUAGE", "en")
