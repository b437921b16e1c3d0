"""`flask backup` and `flask restore`: the whole installation (every table, every stored file)
in one archive that restores on SQLite or PostgreSQL alike.

The database is written as a logical dump: one JSON-lines file per table, in foreign-key
order, each value tagged with its type where JSON has none (timestamps with their zone,
dates, bytes, decimals), plus the Alembic revision the rows belong to. Why not pg_dump or
SQLite's backup API: one format for both engines, so a network can move from the embedded
SQLite to PostgreSQL by restoring a backup; no client binaries of the server's exact version
are needed on the machine; and the archive is readable and checkable with ordinary tools.
Stored files go through the storage interface (`storage().keys()`/`load()`/`save()`), so the
same archive serves the local folder and any other backend.

A manifest names the revision, each table's row count and each file's SHA-256 (and each
table file's): restore refuses an archive that does not match it, and checks the restored
database and files against it at the end.

Restore builds the schema with the migrations, at the backup's revision (`flask db upgrade
REV`), loads the rows in dependency order (a self-reference, like a proposal merged into a
later one, is filled in a second pass), moves PostgreSQL's sequences past the restored ids,
and restores a file only when the storage does not already hold it after the rows are in (a
backend keeping files in a table restores them with the rows).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import hashlib
import json
import math
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app
from sqlalchemy import Column, Connection, MetaData, Table, bindparam, func, inspect, select, text
from sqlalchemy.engine import Engine

from tadamon.extensions import db

FORMAT = "tadamon-backup/1"
MANIFEST = "manifest.json"
ALEMBIC_TABLE = "alembic_version"
BATCH = 1000


class BackupError(Exception):
    """The archive or the database is not what a backup or restore needs; the message says why."""


# -- values -----------------------------------------------------------------------------------

def encode_value(value: Any) -> Any:
    """A column's value as JSON, tagged when JSON alone would lose its type."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return encode_value(value.value)  # the stored form
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$timedelta": value.total_seconds()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, dict | list):
        return {"$json": value}
    raise BackupError(f"no backup encoding for a value of type {type(value).__name__}")


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
    "$timedelta": lambda seconds: dt.timedelta(seconds=seconds),
    "$decimal": decimal.Decimal,
    "$bytes": base64.b64decode,
    "$uuid": uuid.UUID,
    "$float": float,
    "$json": lambda value: value,
}


def decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, content),) = value.items()
        return _DECODERS[tag](content)
    return value


# -- the archive ------------------------------------------------------------------------------

def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_tar(path: Path) -> bool:
    return path.name.endswith((".tar", ".tar.gz", ".tgz"))


@contextmanager
def opened_archive(path: Path) -> Iterator[Path]:
    """The backup as a folder: itself, or a tar unpacked into a temporary folder."""
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise BackupError(f"{path}: no such file or folder")
    import tarfile  # only `flask restore`: every process registers the commands (issue 18)

    with tempfile.TemporaryDirectory(prefix="tadamon-restore-") as folder:
        with tarfile.open(path) as archive:
            # The "data" filter refuses absolute names, links out of the folder and devices.
            archive.extractall(folder, filter="data")
        yield Path(folder)


def _table_file(name: str) -> str:
    return f"database/{name}.jsonl"


def _file_member(key: str) -> str:
    return f"files/{key}"


# -- backup -----------------------------------------------------------------------------------

def database_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(ALEMBIC_TABLE):
        return None
    revisions = connection.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalars().all()  # noqa: S608
    if len(revisions) > 1:
        raise BackupError(f"the database has several Alembic heads: {', '.join(revisions)}")
    return revisions[0] if revisions else None


def _tables(connection: Connection) -> list[tuple[Table, Table]]:
    """(table to read and write through, table as the database has it), in foreign-key order.

    The models' table gives the Python types (timestamps read back with their zone on SQLite);
    the reflected one says which columns exist and has no Python-side defaults or onupdates."""
    reflected = MetaData()
    reflected.reflect(bind=connection)
    pairs = []
    for table in reflected.sorted_tables:
        if table.name != ALEMBIC_TABLE:
            pairs.append((db.metadata.tables.get(table.name, table), table))
    return pairs


def _columns(model: Table, actual: Table) -> list[Any]:
    return [model.c[column.name] if column.name in model.c else column for column in actual.columns]


def write_backup(output: Path, echo: Callable[[str], None] = lambda _line: None) -> dict[str, Any]:
    """Writes the database and every stored file to `output` (a .tar/.tar.gz file, else a
    folder, which must be empty or new); returns the manifest."""
    from tadamon.core.storage import storage

    if output.exists() and not (output.is_dir() and not any(output.iterdir())):
        raise BackupError(f"{output} already exists: name a new file or an empty folder")
    with tempfile.TemporaryDirectory(prefix="tadamon-backup-") as temporary:
        folder = Path(temporary) if is_tar(output) else output
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "database").mkdir()
        manifest: dict[str, Any] = {"format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                                    "tables": [], "files": []}
        # One transaction for every table: on PostgreSQL a snapshot in which every foreign key
        # holds, even while the application keeps writing.
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            revision = database_revision(connection)
            if revision is None:
                raise BackupError("the database has no Alembic revision: run `flask db upgrade` first")
            manifest["revision"] = revision
            manifest["dialect"] = connection.dialect.name
            for model, actual in _tables(connection):
                path = folder / _table_file(actual.name)
                rows = 0
                primary_key = list(actual.primary_key.columns) or list(actual.columns)
                query = select(*_columns(model, actual)).order_by(*(model.c[c.name] if c.name in model.c else c
                                                                   for c in primary_key))
                with path.open("w", encoding="utf-8") as handle:
                    for row in connection.execute(query.execution_options(yield_per=BATCH)).mappings():
                        handle.write(json.dumps({name: encode_value(value) for name, value in row.items()},
                                                ensure_ascii=False, separators=(",", ":")) + "\n")
                        rows += 1
                manifest["tables"].append({"name": actual.name, "rows": rows, "sha256": _file_sha256(path)})
                echo(f"  {actual.name}: {rows}")
        files = storage()
        for key in sorted(files.keys()):
            data = files.load(key)
            if data is None:  # deleted between the listing and the reading
                continue
            target = folder / _file_member(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            manifest["files"].append({"key": key, "size": len(data), "sha256": sha256_of(data)})
        echo(f"  files: {len(manifest['files'])}")
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if is_tar(output):
            import tarfile  # only `flask backup`: every process registers the commands (issue 18)

            output.parent.mkdir(parents=True, exist_ok=True)
            partial = output.with_name(f".{output.name}.part")
            with tarfile.open(partial, "w:gz" if output.name.endswith(("gz", "tgz")) else "w") as archive:
                for member in [MANIFEST, "database", "files"]:
                    if (folder / member).exists():
                        archive.add(folder / member, arcname=member)
            partial.replace(output)  # never a half-written archive under the final name
    return manifest


# -- restore ----------------------------------------------------------------------------------

@dataclass
class RestoreReport:
    revision: str
    rows: dict[str, int]
    files_saved: int
    files_present: int


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, after checking every table file's and stored file's SHA-256 against it."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"not a Tadamon backup: {MANIFEST} unreadable ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"not a {FORMAT} archive: {manifest.get('format')!r}")
    for table in manifest["tables"]:
        path = folder / _table_file(table["name"])
        if not path.is_file() or _file_sha256(path) != table["sha256"]:
            raise BackupError(f"the rows of {table['name']} do not match the manifest (damaged archive)")
    for entry in manifest["files"]:
        path = folder / _file_member(entry["key"])
        if PurePosixPath(entry["key"]).is_absolute() or ".." in PurePosixPath(entry["key"]).parts:
            raise BackupError(f"unsafe file name in the manifest: {entry['key']!r}")
        if not path.is_file() or _file_sha256(path) != entry["sha256"]:
            raise BackupError(f"the file {entry['key']} does not match the manifest (damaged archive)")
    return manifest


def non_empty_tables(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name != ALEMBIC_TABLE]
        reflected = MetaData()
        reflected.reflect(bind=connection, only=names)
        return [name for name in names
                if connection.execute(select(func.count()).select_from(reflected.tables[name])).scalar()]


def _prepare_schema(revision: str, force: bool) -> None:
    """The schema at `revision`, built by the migrations: an empty database is upgraded; one
    at another revision, or a non-empty one (with --force), is taken down to nothing by its own
    migrations first (the audit log's triggers refuse plain deletes)."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from tadamon.extensions import migrations

    directory = current_app.config["MIGRATIONS_DIRECTORY"]
    config = migrations(current_app).migrate.get_config(directory)
    try:
        ScriptDirectory.from_config(config).get_revision(revision)
    except Exception as error:  # alembic raises several kinds for an unknown revision
        raise BackupError(f"the backup's revision {revision} is not among this version's migrations "
                          f"({error}); restore with the Tadamon version that made it") from None
    with db.engine.connect() as connection:
        current = database_revision(connection)
        tables = [name for name in inspect(connection).get_table_names() if name != ALEMBIC_TABLE]
    if tables and current is None:
        raise BackupError("the database has tables but no Alembic revision: restore into an empty database")
    if current is not None and (current != revision or force):
        downgrade(directory=directory, revision="base")
    upgrade(directory=directory, revision=revision)
    db.engine.dispose()  # the migrations changed the schema under the pool's connections


def _writable(model: Table, actual: Table) -> Table:
    """The table as the database has it, with the models' Python types and none of their
    defaults or `onupdate`s: a restore writes the values of the backup and nothing else."""
    return Table(actual.name, MetaData(), *(
        Column(column.name, model.c[column.name].type if column.name in model.c else column.type,
               primary_key=column.primary_key)
        for column in actual.columns))


def _load_table(connection: Connection, model: Table, actual: Table, path: Path) -> int:
    # A column referring to its own table (proposals.merged_into_id, comments.parent_id) may
    # point to a later row: inserted empty, then filled once every row of the table exists.
    self_references = [fk.parent.name for fk in actual.foreign_keys
                       if fk.column.table is actual and fk.parent.nullable]
    key_names = [column.name for column in actual.primary_key.columns]
    target = _writable(model, actual)
    columns = set(target.c.keys())
    batch: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    count = 0

    def flush() -> None:
        if batch:
            connection.execute(target.insert(), batch)
            batch.clear()

    with path.open(encoding="utf-8") as handle:
        for line in handle:
            encoded = json.loads(line)
            unknown = set(encoded) - set(columns)
            if unknown:
                raise BackupError(f"{actual.name}: columns {sorted(unknown)} are not in the schema")
            row = {name: decode_value(value) for name, value in encoded.items()}
            references = {name: row[name] for name in self_references if row.get(name) is not None}
            if references:
                later.append({**{f"key_{name}": row[name] for name in key_names},
                              **{f"set_{name}": value for name, value in references.items()}})
                row.update(dict.fromkeys(references))
            batch.append(row)
            count += 1
            if len(batch) >= BATCH:
                flush()
    flush()
    if later:
        statement = target.update().where(*(target.c[name] == bindparam(f"key_{name}") for name in key_names))
        for name in self_references:
            rows = [entry for entry in later if f"set_{name}" in entry]
            if rows:
                connection.execute(statement.values({name: bindparam(f"set_{name}")}),
                                   [{**{k: v for k, v in entry.items() if k.startswith("key_")},
                                     f"set_{name}": entry[f"set_{name}"]} for entry in rows])
    return count


def _reset_sequences(connection: Connection, tables: list[tuple[Table, Table]]) -> None:
    """PostgreSQL: the next id of each table after the largest restored one (inserting ids by
    hand does not move a sequence, and the first new row would collide)."""
    for model, actual in tables:
        for column in actual.primary_key.columns:
            declared = model.c.get(column.name)
            if declared is not None and (declared.autoincrement is False or declared.default is not None):
                # Ids the application chooses itself (ballots take random ones, so their order
                # says nothing of who voted when): no sequence hands them out.
                continue
            try:
                if column.type.python_type is not int:
                    continue
            except NotImplementedError:  # a type without a Python equivalent: no sequence either
                continue
            quote = connection.dialect.identifier_preparer.quote
            # Names come from the database's own catalogue, quoted; the values are bound.
            statement = (f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608
                         f"COALESCE((SELECT MAX({quote(column.name)}) FROM {quote(actual.name)}), 0) + 1, false)")
            connection.execute(text(statement), {"table": quote(actual.name), "column": column.name})


def restore_backup(source: Path, *, force: bool = False,
                   echo: Callable[[str], None] = lambda _line: None) -> RestoreReport:
    """Restores `source` (a tar or a folder from write_backup) into this application's database
    and storage. Raises BackupError, changing nothing, when the archive is damaged or the
    database holds rows and `force` is off."""
    from tadamon.core.storage import NAMESPACES, storage

    with opened_archive(source) as folder:
        manifest = read_manifest(folder)
        occupied = non_empty_tables(db.engine)
        if occupied and not force:
            raise BackupError(f"the database is not empty ({', '.join(occupied[:5])}"
                              f"{', …' if len(occupied) > 5 else ''}): restore into an empty database, "
                              "or replace everything in it with --force")
        db.session.remove()
        _prepare_schema(manifest["revision"], force=bool(occupied) or force)
        rows: dict[str, int] = {}
        with db.engine.begin() as connection:
            tables = _tables(connection)
            in_schema = {actual.name for _model, actual in tables}
            missing = [table["name"] for table in manifest["tables"] if table["name"] not in in_schema]
            if missing:
                raise BackupError(f"tables of the backup missing from the schema: {', '.join(missing)}")
            by_name = {actual.name: (model, actual) for model, actual in tables}
            # The backup's order is the foreign keys' order at its revision: the same schema.
            for table in manifest["tables"]:
                model, actual = by_name[table["name"]]
                rows[actual.name] = _load_table(connection, model, actual, folder / _table_file(actual.name))
                echo(f"  {actual.name}: {rows[actual.name]}")
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection, tables)
            for table in manifest["tables"]:
                count = connection.execute(select(func.count()).select_from(by_name[table["name"]][1])).scalar()
                if count != table["rows"]:
                    raise BackupError(f"{table['name']}: {count} rows restored, the manifest says {table['rows']}")
        files = storage()
        present = set(files.keys())
        saved = kept = 0
        for entry in manifest["files"]:
            if entry["key"].split("/", 1)[0] not in NAMESPACES:
                # A backup made before the local backend kept to its own folders carried whatever
                # else lay in the instance folder (scratch files, older backups): not the
                # application's files, and no backend takes them.
                echo(f"  left out: {entry['key']} (not a file of the application)")
                continue
            if entry["key"] in present:
                kept += 1  # restored with the rows (a backend that keeps files in a table)
            else:
                files.save(entry["key"], (folder / _file_member(entry["key"])).read_bytes())
                saved += 1
            data = files.load(entry["key"])
            if data is None or sha256_of(data) != entry["sha256"]:
                raise BackupError(f"the stored file {entry['key']} differs from the backup after the restore")
        echo(f"  files: {saved} restored, {kept} already present")
    return RestoreReport(manifest["revision"], rows, saved, kept)


# -- commands ---------------------------------------------------------------------------------

def register_commands(app: Any) -> None:
    import click

    @app.cli.command("backup")
    @click.argument("output", type=click.Path(path_type=Path))
    def backup_command(output: Path) -> None:
        """Write the database and every stored file to OUTPUT (.tar, .tar.gz, or a new folder)."""
        import logging

        from tadamon.core import audit

        try:
            manifest = write_backup(output, echo=click.echo)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        rows = sum(table["rows"] for table in manifest["tables"])
        # Who copied every account and ballot, and when: a backup holds all the personal data.
        audit.record("platform.backup", "platform", None,
                     object_label=f"{output.name}: {rows} rows, {len(manifest['files'])} files")
        db.session.commit()
        logging.getLogger(__name__).info("backup written to %s (revision %s, %d rows, %d files)",
                                         output, manifest["revision"], rows, len(manifest["files"]))
        click.echo(f"Backup written to {output}: revision {manifest['revision']}, {rows} rows in "
                   f"{len(manifest['tables'])} tables, {len(manifest['files'])} files.")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, path_type=Path))
    @click.option("--force", is_flag=True,
                  help="Replace everything in a database that is not empty (its own migrations take it down).")
    def restore_command(source: Path, force: bool) -> None:
        """Restore a backup into an empty database (or any database with --force), then check it."""
        import logging

        try:
            report = restore_backup(source, force=force, echo=click.echo)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        # Not written to the audit log: the restored database is exactly the backup's, checked
        # against its manifest. The operator's log keeps the restore.
        logging.getLogger(__name__).warning("restored %s (revision %s, %d rows, %d files)", source,
                                            report.revision, sum(report.rows.values()),
                                            report.files_saved + report.files_present)
        click.echo(f"Restored {source}: revision {report.revision}, {sum(report.rows.values())} rows, "
                   f"{report.files_saved + report.files_present} files; every count and checksum matches "
                   "the manifest. Run `flask db upgrade` if this version of Tadamon is newer than the backup.")
