"""Settings for the test suite: the normal settings with a fixed key and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "hutor-tests-only-not-a-secret")

from hutor.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
