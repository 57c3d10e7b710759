"""Settings for the test suite: the normal settings with a fixed key and a fast hasher."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "hutor-tests-only-not-a-secret")
# A fixed Fernet key (core/secrets.py): encrypted values in tests are made with it.
os.environ.setdefault("HUTOR_SECRETS_KEY", "eyv3PAjW9orlNebYQNWuc9gqrVt869Cm8pzPTJBiHO4=")
# Not the address a `make run` of this checkout wrote into var/base_url: tests expect port 8000.
os.environ.setdefault("HUTOR_BASE_URL", "http://127.0.0.1:8000")

from hutor.settings import *  # noqa: F403

# A connection per request, as before the setting existed: the tests' threads and processes
# never find another's connection kept open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# The in-process tests keep a memory cache: conftest empties it around every test, including
# those without a database. The default (a table in the database, shared by processes) is
# proven by tests that start processes with the real settings (core/tests/test_cache.py).
if not (os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The suite's command tests read English output; hutor/tests/test_cli_language.py runs the
# commands in both languages and proves that Russian is the default of the real settings.
HUTOR_CLI_LANGUAGE = os.environ.get("HUTOR_CLI_LANGUAGE", "en")

# What the code writes under var/ in a test (the demo's PowerDNS configuration) goes to a
# folder of this run, never into the checkout's own var/.
VAR_DIR = Path(tempfile.mkdtemp(prefix="hutor-test-var-"))

# The webhook tests' receivers listen on 127.0.0.1 (the real default refuses private addresses).
HUTOR_WEBHOOKS_ALLOW_PRIVATE = True
HUTOR_SUPPORT_FILES_DIR = VAR_DIR / "support-files"
