"""Command-line steps of the server mode: index a folder into a collection, the catalogue of the
database (``tracuu docs``), export the index folder into the database (``tracuu migrate --to URL``).
Messages: Vietnamese."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from retrieval.indexing.entries import IndexReport
from retrieval.server.database import DatabaseError, redact
from retrieval.server.database import migrate as migrate_schema
from retrieval.settings import Settings, SettingsError


def index_to_database(
    corpus_dir: Path, settings: Settings, collection: str | None
) -> tuple[IndexReport, float]:
    from retrieval.indexing.pg_import import index_into_database

    if not collection:
        typer.echo("Chế độ máy chủ: hãy chọn bộ sưu tập nhận văn bản (--collection TEN).", err=True)
        raise typer.Exit(2)
    t0 = time.perf_counter()
    try:
        report = index_into_database(corpus_dir, settings.database_url or "", collection, settings)
    except DatabaseError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    return report, time.perf_counter() - t0


def database_catalogue(settings: Settings) -> list:
    """``tracuu docs`` in server mode: the catalogue of every collection (an operator's command)."""
    from retrieval.catalog.catalogue import rows_of
    from retrieval.indexing.pgstore import document_records
    from retrieval.server.database import open_database

    try:
        with open_database(settings.database_url or "") as conn:
            return rows_of(document_records(conn))
    except DatabaseError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def migrate(
    to: Annotated[str, typer.Option("--to", help="Cơ sở dữ liệu đích: postgresql://…")],
    collection: Annotated[str, typer.Option("--collection", help="Bộ sưu tập nhận văn bản")] = "chung",
    index_dir: Annotated[Path | None, typer.Option("--index-dir", help="Thư mục chỉ mục nguồn")] = None,
) -> None:
    """Chuyển chỉ mục thư mục sang PostgreSQL (đếm và so mã kiểm tra hai bên)."""
    from retrieval.indexing.pg_migrate import migrate_folder
    from retrieval.store import IndexError_

    try:
        settings = Settings.from_env(**({"index_dir": index_dir} if index_dir else {}))
    except SettingsError as exc:
        typer.echo(f"Lỗi cấu hình: {exc}", err=True)
        raise typer.Exit(2) from exc
    t0 = time.perf_counter()
    try:
        migrate_schema(to)
        report = migrate_folder(settings.index_dir, to, collection)
    except (DatabaseError, IndexError_) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    f, d = report.folder, report.database
    typer.echo(
        f"Đã chuyển {f.documents} văn bản, {f.chunks} đoạn từ '{settings.index_dir}' sang bộ sưu tập "
        f"'{collection}' của {redact(to)} trong {time.perf_counter() - t0:.1f} giây."
    )
    for name, t in (("Thư mục", f), ("Cơ sở dữ liệu", d)):
        counts = f"{t.documents} văn bản, {t.chunks} đoạn, {t.postings} mục BM25"
        typer.echo(f"  {name}: {counts}, mã {t.checksum[:16]}")
    if not report.ok:
        typer.echo("LỖI: hai bên không khớp — dữ liệu trong cơ sở dữ liệu chưa đủ.", err=True)
        raise typer.Exit(1)
    typer.echo("Khớp hoàn toàn: không mất gì.")
