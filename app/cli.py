"""The `techsov` command: serve, db, seed, export, keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup
from typer.exceptions import TyperException

from app import __version__
from app.auth.keys import KeyProblem, create_key, list_keys, parse_scopes, revoke_key
from app.core.config import Settings, get_settings
from app.core.db import DatabaseNotReady, current_revision, ensure_at_head, make_engine, upgrade
from app.core.failures import explain
from app.importers.epoch import DEFAULT_OVERRIDES, EpochImportError, run_import
from app.seeding.export import ExportFormat, export_dir
from app.seeding.load import LoadReport
from app.seeding.lock import DEFAULT_WAIT_TIMEOUT, LoadBusy
from app.seeding.run import SeedInvalid, check_dir, load_dir
from app.seeding.schema import write_schemas
from app.seeding.synth import DEFAULT_SEED, write_synthetic_seed


class _Commands(TyperGroup):
    """Any failure of any command is one line on stderr (what, where, what to do) and exit status 1; the
    traceback only with `techsov --debug …`."""

    def invoke(self, ctx: Any) -> Any:
        command = self._command_name([*ctx._protected_args, *ctx.args])
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            raise _fail(f"{command}: {_explain(exc)}" if command else _explain(exc)) from None

    def _command_name(self, args: list[str]) -> str:
        """`seed load`, `db upgrade`, `serve`: the command the arguments name."""
        words = [a for a in args if not a.startswith("-")]
        if not words or words[0] not in self.commands:
            return ""
        group = getattr(self.commands[words[0]], "commands", None)
        return " ".join(words[:2]) if group and len(words) > 1 and words[1] in group else words[0]


def _explain(exc: BaseException) -> str:
    try:
        url: str | None = get_settings().resolved_database_url
    except Exception:  # the settings themselves are the failure
        url = None
    if isinstance(exc, DatabaseNotReady) and exc.__cause__ is not None:
        exc = exc.__cause__
    return explain(exc, url) + " (techsov --debug … shows the traceback)"


app = typer.Typer(
    help="techsov: the geopolitics of AI technological autonomy, as an API.", no_args_is_help=True, cls=_Commands
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
seed_app = typer.Typer(help="Seed files: validate, load, schemas.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
import_app = typer.Typer(help="Import outside datasets into seed files.", no_args_is_help=True)
app.add_typer(import_app, name="import")
keys_app = typer.Typer(help="API keys for writes: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

err = Console(stderr=True)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"techsov {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="On a failure, print the traceback too.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """techsov: the geopolitics of AI technological autonomy, as an API."""


def masked(url: str) -> str:
    """A database URL fit to print: its password hidden."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unreadable DATABASE_URL)"


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _progress() -> Iterator[Progress]:
    """A progress bar on a terminal; silent when stderr is not one."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress


def _seed_dir_default() -> Path:
    return get_settings().techsov_seed_dir


def _load(
    settings: Settings, seed_dir: Path, prune: bool, wait: bool = True, wait_timeout: float = DEFAULT_WAIT_TIMEOUT
) -> LoadReport:
    engine = make_engine(settings.resolved_database_url)
    ensure_at_head(engine)
    with _progress() as progress:
        task = progress.add_task("loading records", total=None)
        return load_dir(
            engine,
            seed_dir,
            prune=prune,
            wait=wait,
            wait_timeout=wait_timeout,
            on_wait=lambda: err.print("waiting for another load to finish…", highlight=False),
            on_total=lambda total: progress.update(task, total=total),
            advance=lambda n: progress.advance(task, n),
        )


def _print_seed_errors(errors: SeedInvalid) -> None:
    for error in errors.errors:
        typer.echo(str(error), err=True)
    err.print(f"[bold red]{len(errors.errors)} problem(s)[/]; nothing was written.", highlight=False)


def _migrated_engine() -> sa.Engine:
    """An engine on the configured database, which must be at the latest migration (else a clean failure)."""
    engine = make_engine(get_settings().resolved_database_url)
    try:
        ensure_at_head(engine)
    except DatabaseNotReady as exc:
        raise _fail(_explain(exc) if exc.__cause__ else str(exc)) from None
    return engine


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    settings = get_settings()
    upgrade(settings.resolved_database_url)
    typer.echo(f"database at migration {current_revision(make_engine(settings.resolved_database_url))}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration and whether it is the latest."""
    engine = make_engine(get_settings().resolved_database_url)
    try:
        ensure_at_head(engine)
    except DatabaseNotReady as exc:
        raise _fail(_explain(exc) if exc.__cause__ else str(exc)) from None
    typer.echo(f"database at migration {current_revision(engine)} (latest)")


SeedDir = Annotated[
    Path | None,
    typer.Argument(help="Seed folder (default: TECHSOV_SEED_DIR, the repository's seed/)."),
]


@seed_app.command("validate")
def seed_validate(seed_dir: SeedDir = None) -> None:
    """Check seed files without touching the database; print every problem as file:line: field: message."""
    folder = seed_dir or _seed_dir_default()
    checked = check_dir(folder)
    for warning in checked.warnings:
        typer.echo(f"{warning} (warning)", err=True)
    if checked.errors:
        _print_seed_errors(SeedInvalid(checked.errors))
        raise typer.Exit(1)
    counts = ", ".join(f"{len(v)} {k}" for k, v in checked.validated.records.items())
    warned = f"; {len(checked.warnings)} warning(s)" if checked.warnings else ""
    typer.echo(f"{folder}: valid ({counts}){warned}")
    _print_quality(checked.quality())


def _print_quality(figures: dict[str, Any]) -> None:
    """The quality figures, one a line: shares as percentages, lists by their length."""
    typer.echo("quality:")
    for key, value in figures.items():
        if isinstance(value, float):
            shown = f"{value:.1%}"
        elif isinstance(value, list):
            shown = f"{len(value)}" + (f" ({', '.join(value)})" if value else "")
        else:
            shown = "n/a" if value is None else str(value)
        typer.echo(f"  {key.replace('_', ' ')}: {shown}")


@seed_app.command("load")
def seed_load(
    seed_dir: SeedDir = None,
    prune: Annotated[bool, typer.Option(help="Delete stored records that are no longer in the files.")] = False,
    wait: Annotated[
        bool, typer.Option(help="Wait for a load already running to finish (--no-wait: refuse at once).")
    ] = True,
    wait_timeout: Annotated[
        float, typer.Option(min=0, help="Longest wait for another load, in seconds.")
    ] = DEFAULT_WAIT_TIMEOUT,
) -> None:
    """Validate and load seed files in one transaction (upsert by id); one load at a time."""
    settings = get_settings()
    try:
        report = _load(settings, seed_dir or _seed_dir_default(), prune, wait, wait_timeout)
    except DatabaseNotReady as exc:
        raise _fail(_explain(exc) if exc.__cause__ else str(exc)) from None
    except LoadBusy as exc:
        raise _fail(str(exc)) from None
    except SeedInvalid as exc:
        _print_seed_errors(exc)
        raise typer.Exit(1) from None
    typer.echo(report.summary())


@seed_app.command("synth")
def seed_synth(
    statements: Annotated[int, typer.Option(min=1, help="How many statements; every other type scales with it.")],
    to: Annotated[Path, typer.Option(help="Folder to write the seed files into.")],
    fmt: Annotated[str, typer.Option("--format", help="yaml (for people) or ndjson (fast, for benchmarks).")] = "yaml",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files.")] = DEFAULT_SEED,
) -> None:
    """Write a deterministic synthetic seed folder (benchmarks): skewed speakers, 2010-2026, supply chains."""
    if fmt not in ("yaml", "ndjson"):
        raise _fail(f"unknown format '{fmt}': use yaml or ndjson")
    counts = write_synthetic_seed(to, statements, "yaml" if fmt == "yaml" else "ndjson", seed)
    typer.echo(", ".join(f"{n} {t}" for t, n in counts.items()) + f" written to {to}")


@seed_app.command("schema")
def seed_schema(
    to: Annotated[Path, typer.Option(help="Where to write the JSON Schemas.")] = Path("seed/schema"),
) -> None:
    """Regenerate the seed files' JSON Schemas from the input models."""
    for path in write_schemas(to):
        typer.echo(str(path))


@app.command("export")
def export(
    to: Annotated[Path, typer.Option(help="Folder to write the seed files into.")],
    fmt: Annotated[str, typer.Option("--format", help="yaml (for people) or ndjson (for bulk data).")] = "yaml",
) -> None:
    """Write the database back to seed files that load to the same data."""
    if fmt not in ("yaml", "ndjson"):
        raise _fail(f"unknown format '{fmt}': use yaml or ndjson")
    engine = _migrated_engine()
    chosen: ExportFormat = "yaml" if fmt == "yaml" else "ndjson"
    counts = export_dir(engine, to, chosen)
    typer.echo(", ".join(f"{n} {t}" for t, n in counts.items()) + f" written to {to}")


@import_app.command("epoch")
def import_epoch(
    hardware: Annotated[Path, typer.Option(help="Epoch AI's ML Hardware CSV.")],
    systems: Annotated[Path, typer.Option(help="Epoch AI's ML Systems (models) CSV.")],
    to: Annotated[Path, typer.Option(help="The seed folder: read for curated records, written into.")],
    overrides: Annotated[
        Path | None,
        typer.Option(help=f"The override table (default: {DEFAULT_OVERRIDES} in the seed folder)."),
    ] = None,
) -> None:
    """Turn Epoch AI's hardware and models into seed files (actors/, hardware/, dependencies/, sources/epoch.yaml)."""
    try:
        report = run_import(hardware, systems, to, overrides or to / DEFAULT_OVERRIDES)
    except EpochImportError as exc:
        raise _fail(str(exc)) from None
    typer.echo(report.summary())
    changed = ", ".join(str(p) for p in report.written) or "none (the files were already up to date)"
    typer.echo(f"files changed: {changed}")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who the key is for, as the history will name its changes: a slug.")],
    scope: Annotated[list[str], typer.Option(help="write, delete or admin; repeat the option or give a comma list.")],
) -> None:
    """Make an API key and print it once, alone on the last line; only its hash is stored."""
    engine = _migrated_engine()
    try:
        with engine.begin() as connection:
            stored, key = create_key(connection, name, parse_scopes(scope))
    except KeyProblem as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"created key '{stored.name}' (prefix {stored.prefix}; scopes: {', '.join(stored.scopes)})")
    typer.echo("It is shown this once and cannot be recovered; keep it secret:")
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: prefix, name, scopes, when made, whether revoked (never the key)."""
    with _migrated_engine().connect() as connection:
        keys = list_keys(connection)
    if not keys:
        typer.echo("no keys yet: `techsov keys create --name NAME --scope write` makes one")
        return
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        typer.echo(f"{key.prefix}  {key.name}  {','.join(key.scopes)}  made {key.created_at:%Y-%m-%d %H:%M}  {state}")


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key's name or prefix (`techsov keys list`).")],
) -> None:
    """Revoke a key: refused from the next request on, in every worker."""
    try:
        with _migrated_engine().begin() as connection:
            revoked = revoke_key(connection, key)
    except KeyProblem as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"revoked key '{revoked.name}' (prefix {revoked.prefix})")


def bootstrap_default_database(settings: Settings) -> None:
    """First start without DATABASE_URL: create the SQLite file, migrate it and load seed/."""
    engine = make_engine(settings.resolved_database_url)
    if current_revision(engine) is not None:
        return
    err.print(f"creating {settings.default_sqlite_path} and loading {settings.techsov_seed_dir}", highlight=False)
    upgrade(settings.resolved_database_url, engine)
    report = _load(settings, settings.techsov_seed_dir, prune=False)
    err.print(report.summary(), highlight=False)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (halves throughput).")] = False,
    graceful_timeout: Annotated[
        int, typer.Option(min=0, help="On SIGTERM, seconds to let requests in flight finish before closing them.")
    ] = 10,
) -> None:
    """Serve the API with uvicorn; with no DATABASE_URL, a seeded SQLite file is made on first start."""
    import uvicorn

    from app.core.http_protocol import PROTOCOL

    settings = get_settings()
    try:
        if settings.uses_default_database:
            bootstrap_default_database(settings)
        ensure_at_head(make_engine(settings.resolved_database_url))
    except DatabaseNotReady as exc:
        raise _fail(_explain(exc) if exc.__cause__ else str(exc)) from None
    except SeedInvalid as exc:
        _print_seed_errors(exc)
        raise typer.Exit(1) from None
    err.print(
        f"serving {masked(settings.resolved_database_url)} on http://{host}:{port}/v1", highlight=False, soft_wrap=True
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        timeout_graceful_shutdown=graceful_timeout,
        log_level="info",
        http=PROTOCOL,  # takes raw UTF-8 in the query, as curl sends `q=习近平`
    )


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
