"""The project's settings for bench/api.py's server, with one plain view added (api_bench_urls)."""

import os

from hutor.settings import *  # noqa: F403

ROOT_URLCONF = "api_bench_urls"

# bench/panel_home.py --server-side-binding: PostgreSQL binds parameters on the server, and
# psycopg prepares a statement run prepare_threshold times on a connection (its default, 5).
if os.environ.get("BENCH_SERVER_SIDE_BINDING") and "postgresql" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405
        server_side_binding=True, prepare_threshold=5
    )
