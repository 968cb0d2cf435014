"""A dump of the whole database restores into a fresh database with every plan intact.

The dump is made and restored by config.backup (make backup, make restore)
with the server's own pg_dump; every product's export from the restored
database must equal its export from the original, ids included.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from config import backup
from config.embedded_db import BASE_DIR, default_data_dir, server_bin_dir
from roadmap.demo import load_demo
from roadmap.exchange import plan_document
from roadmap.generator import generate_roadmap
from roadmap.importing import read_plan
from strategy.models import Product

TODAY = dt.date(2026, 11, 23)


def database_url(name: str) -> str:
    """A libpq URL for database `name` on the test database's server."""
    params = connection.get_connection_params()
    parts = {
        "host": params.get("host") or "",
        "port": params.get("port") or "",
        "user": params.get("user") or "",
        "password": params.get("password") or "",
        "dbname": name,
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v})


def bin_dir() -> Path | None:
    """The embedded server's binaries when the tests run on it."""
    return (
        None if os.environ.get("DATABASE_URL") else server_bin_dir(default_data_dir())
    )


def export_from(url: str, slug: str) -> str:
    """Export a product with manage.py, on the database at url."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_settings(url),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "backup-test",
        "DJANGO_DEBUG": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "export_roadmap", slug],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def database_url_for_settings(conninfo: str) -> str:
    """The postgres:// URL the settings read, for a libpq connection string."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = params.get("user", "")
    password = f":{params['password']}" if params.get("password") else ""
    host = params.get("host", "")
    port = f":{params['port']}" if params.get("port") else ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@{port}/{params['dbname']}?host={host}"
    return f"postgres://{user}{password}@{host}{port}/{params['dbname']}"


@pytest.mark.django_db(transaction=True)
def test_a_dump_restores_every_product_into_a_fresh_database(tmp_path):
    load_demo(today=TODAY)
    generate_roadmap(slug="generated", scale=0.02, today=TODAY)
    source = database_url(settings.DATABASES["default"]["NAME"])
    dump_file = tmp_path / "northstar.dump"
    backup.dump(source, dump_file, bin_dir=bin_dir())
    assert dump_file.stat().st_size > 0

    fresh = f"{settings.DATABASES['default']['NAME']}_restore_{secrets.token_hex(3)}"
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        backup.restore(dump_file, database_url(fresh), bin_dir=bin_dir())
        slugs = list(Product.objects.order_by("slug").values_list("slug", flat=True))
        assert slugs == ["fabrikam-atelier", "fabrikam-style", "generated"]
        for slug in slugs:
            original = plan_document(Product.objects.get(slug=slug))
            restored = read_plan(export_from(database_url(fresh), slug))
            assert restored.model_dump(exclude={"exported_at"}) == original.model_dump(
                exclude={"exported_at"}
            )
    finally:
        with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def test_a_missing_pg_dump_of_the_servers_version_is_named_clearly(monkeypatch):
    monkeypatch.setenv("PG_BIN", "/nonexistent")
    with pytest.raises(backup.BackupError) as caught:
        backup.find_tool("pg_dump", 99)
    message = str(caught.value)
    assert message.startswith("No pg_dump for PostgreSQL 99 was found")
    assert "apt install postgresql-client-99" in message
    assert "PG_BIN" in message


def test_restoring_a_missing_file_is_refused(tmp_path):
    with pytest.raises(backup.BackupError, match="There is no dump file"):
        backup.restore(tmp_path / "nope.dump", "dbname=unused")
