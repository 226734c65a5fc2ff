"""Datasette as `datasette serve` builds it, served by uvicorn without the access log (as techsov is).

    BENCH_DB=path.sqlite3 BENCH_DATASETTE_METADATA=meta.json \\
        bench/.venv-peers/bin/python -m uvicorn --no-access-log --app-dir bench/peers datasette_app:app

`datasette serve` always logs every request, which costs a server of this kind
about half its throughput; the bench compares the work of answering, so every
server runs without it. Counts and facet suggestions are off (the bench also
asks with `_nocount=1`): `--setting suggest_facets off --setting
default_facet_size 0` in `datasette serve` terms.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from datasette.app import Datasette

SETTINGS = {"suggest_facets": False, "default_facet_size": 0, "max_csv_mb": 0, "sql_time_limit_ms": 30_000}

metadata_path = os.environ.get("BENCH_DATASETTE_METADATA")
datasette = Datasette(
    [os.environ["BENCH_DB"]],
    metadata=json.loads(Path(metadata_path).read_text()) if metadata_path else None,
    settings=SETTINGS,
)
app = datasette.app()
