"""The project's settings for bench/api.py's server, with one plain view added (api_bench_urls)."""

from hutor.settings import *  # noqa: F403

ROOT_URLCONF = "api_bench_urls"
