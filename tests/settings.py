from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Sign-in lockouts are off except in the tests that check them (they turn
# AXES_ENABLED on): the test client's login() passes no request, which axes
# needs. API limits are high except where a test lowers them.
AXES_ENABLED = False
API_RATE_PER_TOKEN = 100_000
API_RATE_PER_IP = 100_000
API_FAILED_TOKENS_PER_IP = 100_000

# A test's writes never commit, so listeners would never hear of them: the
# share memory is on only in the transactional tests that check it.
SHARE_PAGE_MEMORY = False
