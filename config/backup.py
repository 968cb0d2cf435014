"""Back up the whole database and restore it, with the server's own pg_dump.

    python -m config.backup dump [--dir backups]   (make backup)
    python -m config.backup restore FILE           (make restore FILE=...)

A dump is pg_dump's custom format, made and restored by the client tools of
the server's major version: the embedded server's own binaries when
DATABASE_URL is unset, otherwise a matching install found in the usual
places (or PG_BIN). Restoring replaces the database's tables with the
dump's. Like config.embedded_db, this needs no Django settings.

A dump restores into PostgreSQL of the same or a newer major version; to
move one product's plan anywhere else, export it (manage.py export_roadmap).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from config.embedded_db import (
    BASE_DIR,
    default_data_dir,
    embedded_database_url,
    server_bin_dir,
)

DEFAULT_DIR = BASE_DIR / "backups"
# libpq reads these, so no password appears on a command line.
LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
}


class BackupError(Exception):
    """Something a person must fix; the message says what."""


def configured_database() -> tuple[str, Path | None]:
    """Return the settings' database URL and, for the embedded server, its bin dir."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url, None
    data_dir = default_data_dir()
    return embedded_database_url(data_dir), server_bin_dir(data_dir)


def libpq_env(url: str) -> dict[str, str]:
    params = conninfo_to_dict(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, name in LIBPQ_ENV.items():
        if params.get(key):
            env[name] = str(params[key])
    return env


def server_major(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=10) as connection:
            row = connection.execute("SHOW server_version_num").fetchone()
    except psycopg.OperationalError as error:
        raise BackupError(f"Cannot connect to the database: {error}") from error
    assert row is not None
    return int(row[0]) // 10000


def tool_major(path: Path) -> int | None:
    try:
        result = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", result.stdout)
    return int(match.group(1)) if match else None


def candidate_dirs(major: int, bin_dir: Path | None) -> list[Path]:
    dirs = [bin_dir] if bin_dir else []
    if os.environ.get("PG_BIN"):
        dirs.append(Path(os.environ["PG_BIN"]))
    dirs += [
        Path(f"/usr/lib/postgresql/{major}/bin"),
        Path(f"/usr/pgsql-{major}/bin"),
        Path(f"/opt/homebrew/opt/postgresql@{major}/bin"),
        Path(f"/usr/local/opt/postgresql@{major}/bin"),
        Path(f"/Applications/Postgres.app/Contents/Versions/{major}/bin"),
    ]
    return dirs


def find_tool(name: str, major: int, bin_dir: Path | None = None) -> Path:
    """Find pg_dump or pg_restore of exactly the server's major version."""
    candidates = [d / name for d in candidate_dirs(major, bin_dir)]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    seen = []
    for path in candidates:
        if path.is_file():
            version = tool_major(path)
            if version == major:
                return path
            seen.append(f"{path} (version {version})")
    found = f" Found only: {', '.join(seen)}." if seen else ""
    raise BackupError(
        f"No {name} for PostgreSQL {major} was found; the server runs version "
        f"{major} and the dump must be made by the same version.{found} Install "
        f"the PostgreSQL {major} client tools (on Debian or Ubuntu: apt install "
        f"postgresql-client-{major}) or set PG_BIN to the folder that holds "
        f"{name}."
    )


def dump(url: str, output: Path, *, bin_dir: Path | None = None) -> Path:
    """Write the whole database to output with the matching pg_dump."""
    pg_dump = find_tool("pg_dump", server_major(url), bin_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            str(pg_dump),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={output}",
        ],
        env=libpq_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        output.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return pg_dump


def restore(dump_file: Path, url: str, *, bin_dir: Path | None = None) -> Path:
    """Replace the database's tables with the dump's, in one transaction."""
    if not dump_file.is_file():
        raise BackupError(f"There is no dump file {dump_file}.")
    pg_restore = find_tool("pg_restore", server_major(url), bin_dir)
    env = libpq_env(url)
    result = subprocess.run(
        [
            str(pg_restore),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={env.get('PGDATABASE', '')}",
            str(dump_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed; the database is unchanged: {result.stderr.strip()}"
        )
    return pg_restore


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.backup")
    commands = parser.add_subparsers(dest="command", required=True)
    dump_parser = commands.add_parser("dump", help="Dump the whole database.")
    dump_parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    restore_parser = commands.add_parser("restore", help="Restore a dump.")
    restore_parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        url, bin_dir = configured_database()
        name = conninfo_to_dict(url).get("dbname") or "northstar"
        if args.command == "dump":
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            output = args.dir / f"northstar-{name}-{stamp}.dump"
            tool = dump(url, output, bin_dir=bin_dir)
            size = output.stat().st_size
            sys.stdout.write(f"Wrote {output} ({size:,} bytes) with {tool}.\n")
        else:
            tool = restore(args.file, url, bin_dir=bin_dir)
            sys.stdout.write(f"Restored {args.file} into “{name}” with {tool}.\n")
    except BackupError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
