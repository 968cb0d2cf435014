"""Every answer carries the security headers; production passes Django's deployment checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db

STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(header: str) -> dict[str, str]:
    pairs = (part.strip().split(" ", 1) for part in header.split(";"))
    return {pair[0]: pair[1] for pair in pairs}


@pytest.mark.parametrize(
    "path", ["/login/", "/no-such-page/", "/api/v1/openapi.json", "/robots.txt"]
)
def test_every_answer_sends_a_strict_content_security_policy(client, path):
    response = client.get(path)

    assert policy(response["Content-Security-Policy"]) == STRICT_POLICY


def test_pages_send_the_permissions_opener_and_referrer_policies(client):
    response = client.get(reverse("login"))

    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "clipboard-write=(self)" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
)
def test_behind_tls_the_browser_is_told_to_use_https_for_subdomains_too(client):
    response = client.get(reverse("login"), headers={"X-Forwarded-Proto": "https"})

    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )


def production_environment() -> dict[str, str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "northstar.example.com",
        "DATABASE_URL": "postgres://northstar@db.invalid/northstar",
        "DJANGO_BEHIND_TLS_PROXY": "1",
    }


def run_deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = run_deploy_check(production_environment())

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checks_fail_without_tls():
    """The check is not silenced wholesale: serving without TLS is reported."""
    env = production_environment()
    del env["DJANGO_BEHIND_TLS_PROXY"]

    result = run_deploy_check(env)

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no redirect to HTTPS
