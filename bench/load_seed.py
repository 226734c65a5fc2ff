"""Time `techsov seed load` of a synthetic seed into fresh databases: seconds and peak memory.

For each format (YAML, NDJSON) and each database (a fresh SQLite file, a fresh
PostgreSQL database), this migrates an empty database with `techsov db upgrade`
and then runs, exactly as a person would,

    /usr/bin/time -f '%e s %M KB' techsov seed load <synthetic folder>

in its own process, so the peak RSS is that of the load alone. Runs go one
after another, never in parallel.

    .venv/bin/python bench/load_seed.py                      # 100k records, both formats, both databases
    .venv/bin/python bench/load_seed.py --before /tmp/old --repeat 3 --formats ndjson --databases sqlite

`--before DIR` also times another checkout of techsov (say `git worktree add
/tmp/old <commit>`) with the same interpreter, alternating with this one run
by run, so a before/after compares runs made seconds apart on a shared
machine. The synthetic seed is written once per size, format and generator
version (under --data-dir) and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TIME = "/usr/bin/time"


@dataclass
class Timing:
    """One timed load."""

    fmt: str
    database: str
    seconds: float
    peak_kb: int
    summary: str


def generator_fingerprint() -> str:
    """A short hash of the generator's source: a changed generator writes a new folder."""
    sources = [Path(synth.__file__), ROOT / "app" / "seeding" / "synth.py"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources if p.exists()))
    return digest.hexdigest()[:10]


def synthetic_seed(records: int, fmt: str, data_dir: Path) -> Path:
    """The synthetic seed folder for this size, format and generator, written once and reused."""
    folder = data_dir / f"techsov-synth-{records}-{fmt}-{generator_fingerprint()}"
    stamp = folder / ".complete"
    if not stamp.exists():
        print(f"writing {records} synthetic records as {fmt} to {folder} …", file=sys.stderr, flush=True)
        synth.write(folder, synth.build(records), fmt)
        stamp.touch()
    return folder


TECHSOV = [sys.executable, "-c", "from app.cli import main; main()"]
"""techsov, run by this interpreter from the checkout on PYTHONPATH."""


def environment(database_url: str, source: Path | None) -> dict[str, str]:
    """The environment of a techsov run against `database_url`."""
    env = dict(os.environ, DATABASE_URL=database_url)
    env["PYTHONPATH"] = str(source or ROOT)
    return env


def fresh_sqlite(work: Path) -> str:
    """A URL for a SQLite file that does not exist yet."""
    return f"sqlite:///{work / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"


def run_load(fmt: str, database: str, url: str, folder: Path, source: Path | None) -> Timing:
    """Migrate the empty database at `url`, then time one `techsov seed load`."""
    env = environment(url, source)
    subprocess.run([*TECHSOV, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=source or ROOT)
    done = subprocess.run(
        [TIME, "-f", "%e s %M KB", *TECHSOV, "seed", "load", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        cwd=source or ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"load failed ({fmt}, {database}):\n{done.stdout}\n{done.stderr}")
    seconds, _s, peak_kb, _kb = done.stderr.strip().splitlines()[-1].split()
    return Timing(fmt, database, float(seconds), int(peak_kb), done.stdout.strip())


def time_postgresql(fmt: str, admin_url: str, folder: Path, source: Path | None) -> Timing:
    """Load into a PostgreSQL database created for this run and dropped after it."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"techsov_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        return run_load(fmt, "postgresql", url, folder, source)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def time_load(fmt: str, database: str, folder: Path, source: Path | None, args: argparse.Namespace) -> Timing:
    """One timed load of `folder` into a fresh database."""
    if database == "sqlite":
        return run_load(fmt, database, fresh_sqlite(args.work), folder, source)
    return time_postgresql(fmt, args.postgres, folder, source)


def main() -> None:
    """Time the loads and print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="size of the synthetic seed")
    parser.add_argument("--formats", nargs="+", choices=["ndjson", "yaml"], default=["ndjson", "yaml"])
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default=DEFAULT_PG, help="URL of a PostgreSQL server database to create in")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()), help="where seeds are kept")
    parser.add_argument("--seed-dir", type=Path, default=None, help="load this folder instead of a synthetic seed")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each combination")
    parser.add_argument("--source", type=Path, default=None, help="time another techsov checkout instead of this one")
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="also time this checkout, alternating with this one run by run (before/after on a shared machine)",
    )
    args = parser.parse_args()

    if args.seed_dir:
        folders = [(args.seed_dir.name, args.seed_dir)]
    else:
        folders = [(fmt, synthetic_seed(args.records, fmt, args.data_dir)) for fmt in args.formats]
    checkouts: list[tuple[str, Path | None]] = [("", args.source)]
    if args.before:
        checkouts = [("before", args.before), ("after", args.source)]
    with tempfile.TemporaryDirectory(prefix="techsov-bench-") as work:
        args.work = Path(work)
        for label, folder in folders:
            for round_number in range(args.repeat):
                for database in args.databases:
                    order = checkouts if round_number % 2 == 0 else checkouts[::-1]
                    for name, source in order:
                        timing = time_load(label, database, folder, source, args)
                        print(
                            f"{name:<7}{label:<8} -> {database:<10}  {timing.seconds:6.1f} s  "
                            f"{timing.peak_kb / 1024:6.0f} MB peak RSS   ({timing.summary})",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
