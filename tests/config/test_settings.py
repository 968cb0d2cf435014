"""Settings read the environment and default to safe values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, getattr(settings, 'SECURE_HSTS_SECONDS', 0))"


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT],
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
    assert result.stdout.split() == ["False", "True", "3600"]
