"""Settings read the environment and default to safe values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
PRINT = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, getattr(settings, 'SECURE_HSTS_SECONDS', 0))"


PRINT_CACHES = (
    "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"
)
SERVER = {
    "DATABASE_URL": "postgres://app@db.example/northstar",
    "DJANGO_SECRET_KEY": "a-long-random-key",
}


def run_settings(
    tmp_path: Path, code: str = PRINT, **env: str
) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "NORTHSTAR_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_server_deployment_without_a_secret_key_refuses_to_start(tmp_path):
    result = run_settings(tmp_path, DATABASE_URL="postgres://app@db.example/northstar")

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_a_server_deployment_is_not_in_debug_and_sends_secure_cookies(tmp_path):
    result = run_settings(
        tmp_path,
        DATABASE_URL="postgres://app@db.example/northstar",
        DJANGO_SECRET_KEY="a-long-random-key",
        DJANGO_BEHIND_TLS_PROXY="1",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "31536000"]


def test_caches_are_shared_through_redis_when_redis_url_is_set(tmp_path):
    result = run_settings(
        tmp_path, PRINT_CACHES, REDIS_URL="redis://cache.example:6379/3", **SERVER
    )

    assert result.returncode == 0, result.stderr
    caches = json.loads(result.stdout)
    assert caches["default"]["BACKEND"] == REDIS_CACHE
    assert caches["default"]["LOCATION"] == "redis://cache.example:6379/3"
    assert caches["board"]["BACKEND"] == REDIS_CACHE
    assert caches["board"]["LOCATION"] == "redis://cache.example:6379/3"
    assert caches["board"]["KEY_PREFIX"] != caches["default"]["KEY_PREFIX"]
    assert caches["board"]["TIMEOUT"] == 60 * 60 * 24


def test_caches_stay_in_each_process_without_redis_url(tmp_path):
    result = run_settings(tmp_path, PRINT_CACHES, **SERVER)

    assert result.returncode == 0, result.stderr
    caches = json.loads(result.stdout)
    assert caches["default"]["BACKEND"] == LOCMEM_CACHE
    assert caches["board"]["BACKEND"] == LOCMEM_CACHE
    assert caches["board"]["OPTIONS"]["MAX_ENTRIES"] == 50_000


def test_responses_are_gzipped_before_any_other_middleware_sees_the_body(tmp_path):
    """Only SecurityMiddleware and the two security-header middlewares (headers
    only), whitenoise (static files), the share page's 304 (which has no
    body) and the board pages' memory (which keeps a body as gzip left it and
    answers with it unchanged) come first."""
    code = "from django.conf import settings; print(*settings.MIDDLEWARE)"

    result = run_settings(tmp_path, code, **SERVER)

    middleware = result.stdout.split()
    assert middleware.index("django.middleware.gzip.GZipMiddleware") == 6
    assert middleware[:6] == [
        "django.middleware.security.SecurityMiddleware",
        "csp.middleware.CSPMiddleware",
        "config.middleware.permissions_policy",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "roadmap.middleware.share_not_modified",
        "roadmap.middleware.board_page_from_memory",
    ]
