"""Measure ingestion throughput: measurements per second through the batch endpoint.

Starts gunicorn on 127.0.0.1 against a throwaway database (created on the
embedded PostgreSQL of NORTHSTAR_DATA_DIR, or on DATABASE_URL's server, and
dropped at the end), posts batches from a few concurrent clients and prints
the figures. Run from the repository root:

    uv run python bench/ingest.py [--batches 40] [--batch-size 1000] [--clients 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from config.embedded_db import embedded_database_url

    data_dir = Path(os.environ.get("NORTHSTAR_DATA_DIR", ROOT / ".data"))
    return embedded_database_url(data_dir)


def with_database(url: str, name: str) -> str:
    base, _, rest = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{rest}" if rest else base


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict[str, str], metrics: int) -> tuple[str, list[int]]:
    """Migrate the throwaway database and create a product, metrics and a token."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    script = f"""
import json
from metrics.models import Metric
from strategy.models import ApiToken, Product
product = Product.objects.create(name="Bench", slug="bench")
ids = [Metric.objects.create(product=product, name=f"Metric {{i}}").pk for i in range({metrics})]
_, secret = ApiToken.issue(product=product, name="bench")
print(json.dumps({{"secret": secret, "ids": ids}}))
"""
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["secret"], data["ids"]


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def batches_for(client: int, count: int, size: int, ids: list[int]) -> list[bytes]:
    """Distinct (metric, date) pairs per batch, so every row is a real insert."""
    days_per_batch = size // len(ids)
    start = dt.date(2000, 1, 1)
    bodies = []
    for b in range(count):
        offset = (client * count + b) * days_per_batch
        rows = [
            {
                "metric_id": metric_id,
                "date": (start + dt.timedelta(days=offset + d)).isoformat(),
                "value": round(1000 + d * 1.5, 2),
            }
            for d in range(days_per_batch)
            for metric_id in ids
        ]
        bodies.append(json.dumps({"measurements": rows}).encode())
    return bodies


def run_client(
    port: int, secret: str, bodies: list[bytes], latencies: list[float]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    for body in bodies:
        began = time.perf_counter()
        conn.request("POST", "/api/v1/measurements/batch", body, headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"batch failed: {response.status} {payload[:200]!r}")
        latencies.append(time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="batches per client")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--metrics", type=int, default=10)
    args = parser.parse_args()
    args.batches = min(args.batches, 200)  # keep the run bounded

    admin_url = server_url()
    name = f"northstar_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": with_database(admin_url, name),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_DEBUG": "",
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
    port = free_port()
    gunicorn = None
    try:
        secret, ids = prepare(env, args.metrics)
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_until_up(port)
        # One warm-up batch per client, not counted.
        warm = [
            batches_for(10_000 + c, 1, args.batch_size, ids)
            for c in range(args.clients)
        ]
        for bodies in warm:
            run_client(port, secret, bodies, [])

        plans = [
            batches_for(c, args.batches, args.batch_size, ids)
            for c in range(args.clients)
        ]
        rows = args.clients * args.batches * (args.batch_size // len(ids)) * len(ids)
        print(
            f"gunicorn workers {args.workers}, clients {args.clients}, "
            f"{args.clients * args.batches} batches of {args.batch_size}"
        )
        # The first pass inserts; the second re-sends the same batches, so
        # every row takes the upsert's update path (a client retrying).
        for label in ("new rows", "re-sent (update)"):
            latencies: list[float] = []
            threads = [
                threading.Thread(
                    target=run_client, args=(port, secret, bodies, latencies)
                )
                for bodies in plans
            ]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            latencies.sort()
            p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
            print(
                f"{label:<17} {rows:,} measurements in {elapsed:.2f} s = "
                f"{rows / elapsed:,.0f} measurements/s; batch latency median "
                f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
            )
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            stored = conn.execute(
                "SELECT count(*) FROM metrics_measurement"
            ).fetchone()[0]
        warm_up = args.batch_size * args.clients
        print(f"rows in database  {stored:,} (of which {warm_up:,} from warm-up)")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
