"""The app in server mode (``TRACUU_DATABASE_URL``): who is logged in, what they may read, their
archive view, their conversations, uploads into the collections they edit.

* One connection pool per process (``db_pool``); each step borrows a connection briefly.
* The loaded archive (``Resources`` over a ``PgSearcher``) is kept per set of readable collections
  (``ViewSlot``): users with the same grants share it. When the database's ``data_version`` moves (a
  document written by any indexer: this app, another process, ``tracuu index``) the view in hand is
  still served while the new one loads in the background, with a notice; the editor who just wrote
  waits for the new one.
* Uploads go to ``<corpus folder>/<collection>/`` and are indexed into that collection; every upload,
  deletion and re-index is written to the audit log with who did it.
"""

from __future__ import annotations

import logging

import streamlit as st
from psycopg_pool import ConnectionPool

from retrieval.indexing.pgstore import data_version, remove_document
from retrieval.server import audit
from retrieval.server.access import AccessDenied, editable_collections, readable_collections, require_editor
from retrieval.server.collections import Collection, list_collections
from retrieval.server.database import DatabaseError, check_schema, connect
from retrieval.settings import Settings
from retrieval.store import IndexError_
from retrieval.ui.login import current_user, require_user
from retrieval.ui.state import (
    IndexOutcome,
    Resources,
    build_resources,
    report_lines,
    save_uploads,
    shared_embedder,
)
from retrieval.ui.view_slot import ViewSlot

log = logging.getLogger(__name__)
NO_GRANT = "Tài khoản của bạn chưa được cấp quyền đọc bộ sưu tập nào. Hãy liên hệ quản trị viên."


@st.cache_resource(show_spinner=False)
def db_pool(url: str) -> ConnectionPool:
    # autocommit: each ``conn.transaction()`` block of retrieval.server commits when it ends, so a
    # Streamlit rerun raised later in the same ``with pool.connection()`` cannot roll it back
    from retrieval.pgsearch import configure_connection

    with connect(url) as conn:  # a clear error for a database at another schema version
        check_schema(conn, url)
    pool = ConnectionPool(
        url, min_size=1, max_size=8, open=True, configure=configure_connection, kwargs={"autocommit": True}
    )
    return pool


WAIT_FOR_VIEW = "tracuu_wait_for_view"  # session flag: this user just wrote; load the new view now
UPDATING = "⏳ Kho vừa có văn bản mới: đang nạp lại; kết quả sẽ gồm văn bản mới sau ít giây."


@st.cache_resource(show_spinner=False, max_entries=8)
def view_slot(_settings: Settings, key: str, collections: tuple[int, ...]) -> ViewSlot[Resources]:
    """The archive as the readers of ``collections`` see it (loaded on the first ``get``)."""
    from retrieval.stores import open_searcher

    embedder = shared_embedder(_settings)  # resolved here, in the script thread
    pool = db_pool(_settings.database_url or "")

    def load() -> tuple[int, Resources]:
        searcher = open_searcher(_settings, embedder, collections, pool)
        return searcher.version, build_resources(_settings, searcher)

    return ViewSlot(load, start=_start_with_context)


def _start_with_context(thread) -> None:
    from streamlit.runtime.scriptrunner import add_script_run_ctx

    add_script_run_ctx(thread)  # the cached loaders it calls belong to this app's runtime
    thread.start()


def server_context(settings: Settings) -> tuple[Settings, Resources | None, str | None]:
    """Log in (the page stops at the login form until then), then the user's view of the archive."""
    try:
        pool = db_pool(settings.database_url or "")
    except DatabaseError as exc:
        st.error(str(exc))
        st.stop()
    user = require_user(pool)
    with pool.connection() as conn:
        colls = readable_collections(conn, user)
        version = data_version(conn)
    if not colls:
        return settings, None, NO_GRANT
    wait = bool(st.session_state.pop(WAIT_FOR_VIEW, False))
    try:
        with st.spinner("Đang nạp kho văn bản…"):
            served = view_slot(settings, repr(settings), colls).get(version, wait=wait)
    except (IndexError_, DatabaseError) as exc:
        return settings, None, str(exc)
    if served.updating:
        st.sidebar.caption(UPDATING)
    return settings, served.view, None


def editable(settings: Settings) -> list[Collection]:
    """The collections the logged-in user may change."""
    user = current_user()
    if user is None:
        return []
    with db_pool(settings.database_url or "").connection() as conn:
        ids = set(editable_collections(conn, user))
        return [c for c in list_collections(conn) if c.id in ids]


def reindex_collection(
    settings: Settings, collection: Collection, uploads: list[tuple[str, bytes]], progress
) -> IndexOutcome:
    """Save ``uploads`` into the collection's folder and index that folder into the collection."""
    from retrieval.indexing.pg_import import index_into_database

    user = current_user()
    pool = db_pool(settings.database_url or "")
    try:
        with pool.connection() as conn:
            require_editor(conn, user, collection.id)
    except AccessDenied as exc:
        return IndexOutcome([("error", str(exc))])
    folder = settings.corpus_dir / collection.name
    folder.mkdir(parents=True, exist_ok=True)
    saved, lines = save_uploads(folder, uploads)
    if uploads and not any(s.ok for s in saved):
        return IndexOutcome(lines)
    mine = {s.source for s in saved if s.source and s.new}
    progress(0.0, f"Đang lập chỉ mục bộ sưu tập '{collection.title}'…")
    try:
        report = index_into_database(
            folder,
            settings.database_url or "",
            collection.name,
            settings,
            shared_embedder(settings),
            progress=lambda src, n, total: progress(min(0.95, n / max(1, total)), f"{n}/{total}: {src}"),
        )
    except (DatabaseError, OSError) as exc:
        return IndexOutcome([*lines, ("error", f"Không lập chỉ mục được: {exc}")])
    progress(1.0, "Đã lập chỉ mục xong.")
    st.session_state[WAIT_FOR_VIEW] = report.written
    with pool.connection() as conn:
        for source in report.added + report.updated:
            audit.record(conn, user, "upload" if source in mine else "reindex", collection.id, source)
        for source in report.removed:
            audit.record(conn, user, "delete", collection.id, source, {"reason": "file gone"})
        audit.record(
            conn,
            user,
            "reindex",
            collection.id,
            collection.name,
            {"added": len(report.added), "updated": len(report.updated), "removed": len(report.removed)},
        )
    return IndexOutcome(lines + report_lines(report, saved, folder, f"bộ sưu tập '{collection.title}'"))


def delete_document(settings: Settings, res: Resources, doc_id: str) -> str:
    """Remove one document (and its file) from its collection; the Vietnamese outcome."""
    user = current_user()
    name = res.searcher.collection(doc_id)
    doc = res.searcher.documents.get(doc_id)
    if user is None or name is None or doc is None:
        return "Không tìm thấy văn bản này."
    with db_pool(settings.database_url or "").connection() as conn:
        coll = next(c for c in list_collections(conn) if c.name == name)
        try:
            require_editor(conn, user, coll.id)
        except AccessDenied as exc:
            return str(exc)
        remove_document(conn, coll.id, doc.source)
        audit.record(conn, user, "delete", coll.id, doc.source)
    st.session_state[WAIT_FOR_VIEW] = True
    path = (settings.corpus_dir / name / doc.source).resolve()
    if path.is_relative_to((settings.corpus_dir / name).resolve()):
        path.unlink(missing_ok=True)
    return f"Đã xóa '{doc.source}' khỏi bộ sưu tập '{coll.title}'."
