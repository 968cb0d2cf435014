"""Time a new user's first minute: from a fresh clone to the first page served.

Run from the repository root: `python3 bench/first_run.py [--cold-cache]`.

It clones the repository's committed state into a temporary folder and runs,
step by step, what `make run` runs there, timing each part:

1. tool bootstrap: a venv for the tools and uv installed into it (skipped
   when uv is on PATH, as `make` skips it);
2. dependency sync: `uv sync --locked`;
3. PostgreSQL start: the embedded server's first start (initdb included);
4. migrate; 5. the demo roadmap (`load_demo --if-empty`);
6. the development server until `/login/` answers 200.

`--cold-cache` gives uv an empty cache, as on a machine that never ran uv:
the dependency sync then downloads every wheel. DATABASE_URL is unset for
the run, so the embedded PostgreSQL is used as a new user's would be; the
clone's server is stopped and the clone removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(label: str, command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    print(f"  {label:<22} {elapsed:6.1f} s", flush=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-cache", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="northstar-first-run-"))
    clone = work / "northstar"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if args.cold_cache:
        env["UV_CACHE_DIR"] = str(work / "uv-cache")
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"uv cache: {'empty' if args.cold_cache else 'as this machine has it'}")
    parts: dict[str, float] = {}
    server = None
    try:
        uv = shutil.which("uv")
        if uv is None:
            # Exactly what the Makefile does to get uv.
            parts["tool bootstrap"] = timed(
                "tool bootstrap", ["make", ".venv-tools/bin/uv"], clone, env
            )
            uv = str(clone / ".venv-tools/bin/uv")
        else:
            parts["tool bootstrap"] = 0.0
        run = [uv, "run", "--locked", "python"]
        parts["dependency sync"] = timed(
            "dependency sync", [uv, "sync", "--locked", "--quiet"], clone, env
        )
        parts["PostgreSQL start"] = timed(
            "PostgreSQL start",
            [
                *run,
                "-c",
                "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
                " 'config.settings'); django.setup();"
                " from django.db import connection; connection.ensure_connection()",
            ],
            clone,
            env,
        )
        parts["migrate"] = timed(
            "migrate", [*run, "manage.py", "migrate", "--no-input"], clone, env
        )
        parts["demo"] = timed(
            "demo", [*run, "manage.py", "load_demo", "--if-empty"], clone, env
        )
        port = free_port()
        started = time.perf_counter()
        server = subprocess.Popen(
            [*run, "manage.py", "runserver", "--skip-checks", f"127.0.0.1:{port}"],
            cwd=clone,
            env={**env, "DJANGO_DEBUG": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/login/", timeout=1
                ) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
            if time.perf_counter() - started > 120:
                raise RuntimeError("the server did not answer within 2 minutes")
        parts["first page"] = time.perf_counter() - started
        print(f"  {'first page':<22} {parts['first page']:6.1f} s")
        print(f"  {'total':<22} {sum(parts.values()):6.1f} s")
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        subprocess.run(
            [
                str(clone / ".venv/bin/python"),
                "-m",
                "config.embedded_db",
                "stop",
            ],
            cwd=clone,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
