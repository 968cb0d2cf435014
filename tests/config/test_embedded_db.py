"""The embedded PostgreSQL that runs when DATABASE_URL is unset."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from config.embedded_db import (
    embedded_database_url,
    running_server_pid,
    stop_embedded_server,
)

ROOT = Path(__file__).resolve().parents[2]
START_SERVER = "from pathlib import Path; import sys; from config.embedded_db import embedded_database_url; print(embedded_database_url(Path(sys.argv[1])))"
PRINT_DATABASE = (
    "import json, django; from django.conf import settings; "
    "print(json.dumps({k: settings.DATABASES['default'][k] for k in ('ENGINE', 'HOST', 'NAME')}))"
)
# Run by a child pytest: a test that starts a server and then fails.
FAILING_TEST = """
from config.embedded_db import embedded_database_url
from tests.config.test_embedded_db import data_dir  # noqa: F401


def test_starts_a_server_then_fails(data_dir):
    embedded_database_url(data_dir)
    raise AssertionError("failing on purpose, with the server running")
"""


def postmasters_under(folder: Path) -> list[int]:
    """Return the ids of PostgreSQL servers whose data directory is in folder."""
    folder = folder.resolve()
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue  # the process has exited
        if not args or Path(args[0]).name != "postgres" or "-D" not in args[:-1]:
            continue
        pgdata = Path(args[args.index("-D") + 1])
        if pgdata.is_relative_to(folder):
            pids.append(int(cmdline.parent.name))
    return pids


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
    """A data folder whose server is stopped after the test, however it ends."""
    folder = tmp_path / "data"
    yield folder
    stop_embedded_server(folder)


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
    assert len(postmasters_under(data_dir)) == 1


def test_starting_again_attaches_to_the_running_server_and_keeps_data(data_dir):
    url = embedded_database_url(data_dir)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("create table kept (value int)")
        connection.execute("insert into kept values (42)")

    again = embedded_database_url(data_dir)

    assert again == url
    with psycopg.connect(again) as connection:
        assert connection.execute("select value from kept").fetchone() == (42,)


def test_a_stopped_server_starts_again_with_its_data(data_dir):
    url = embedded_database_url(data_dir)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("create table kept (value int)")
        connection.execute("insert into kept values (42)")

    stopped = stop_embedded_server(data_dir)
    was_running = running_server_pid(data_dir)
    again = embedded_database_url(data_dir)

    assert stopped is not None
    assert was_running is None
    assert running_server_pid(data_dir) is not None
    with psycopg.connect(again) as connection:
        assert connection.execute("select value from kept").fetchone() == (42,)


def test_stop_command_stops_the_checkouts_server_and_says_so(data_dir):
    embedded_database_url(data_dir)
    pid = running_server_pid(data_dir)
    env = {**os.environ, "NORTHSTAR_DATA_DIR": str(data_dir)}

    result = subprocess.run(
        [sys.executable, "-m", "config.embedded_db", "stop"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Stopped the embedded PostgreSQL (pid {pid}, data in {data_dir}).\n"
    )
    assert postmasters_under(data_dir) == []
    assert running_server_pid(data_dir) is None


def test_stop_command_says_so_when_no_server_runs(tmp_path):
    env = {**os.environ, "NORTHSTAR_DATA_DIR": str(tmp_path / "never-started")}

    result = subprocess.run(
        [sys.executable, "-m", "config.embedded_db", "stop"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "No embedded PostgreSQL is running for this checkout.\n"
    assert not (tmp_path / "never-started").exists()


def test_settings_use_the_embedded_server_when_database_url_is_unset(data_dir):
    env = {**os.environ, "NORTHSTAR_DATA_DIR": str(data_dir), "DJANGO_SECRET_KEY": "x"}
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    process = run_python(f"import django; django.setup(); {PRINT_DATABASE}", env=env)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 0, err
    database = json.loads(out)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    # The socket lives in the data folder, or in a short folder of its own
    # when that path is too long for a socket; postmaster.pid names it.
    postmaster = (data_dir / "pg" / "postmaster.pid").read_text().splitlines()
    assert database["HOST"] == postmaster[4]


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


def test_no_server_started_by_these_tests_outlives_them(tmp_path):
    """Run this module's tests, plus one failing on purpose, in a child pytest:
    every server they started under its temporary folders is gone after."""
    failing = tmp_path / "test_fails_on_purpose.py"
    failing.write_text(FAILING_TEST)
    runs = tmp_path / "runs"
    before = postmasters_under(runs)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            __file__,
            str(failing),
            "-k",
            "not outlives",
            f"--basetemp={runs}",
            f"--rootdir={ROOT}",
            "-p",
            "no:randomly",
            "-q",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )

    started = list(runs.glob("*/data/pg/PG_VERSION"))
    assert re.search(r"\b1 failed, \d+ passed\b", result.stdout), result.stdout
    assert "failing on purpose" in result.stdout
    assert len(started) >= 5, started
    assert before == []
    assert postmasters_under(runs) == []
