"""Persistent chat conversations (retrieval.ui.conversations): SQLite store, per-user isolation."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from retrieval.ui.conversations import (
    LOCAL_USER,
    TITLE_MAX,
    ConversationStore,
    ConversationStoreError,
    ConversationSummary,
    SQLiteConversations,
    default_path,
    shorten_title,
)

TURN = {
    "role": "assistant",
    "turn": {
        "answer": "Kế hoạch số 12/KH-UBND giao Sở Nội vụ chủ trì, phối hợp với các sở, ngành.",
        "citations": [{"doc": "ke-hoach-12.pdf", "page": 3, "score": 0.8125, "spans": [[10, 42], [50, 61]]}],
        "confidence": 0.5,
        "flags": [],
        "meta": {"backend": "extractive", "elapsed_s": 1.25, "empty": None, "ok": True},
    },
}


def question(text: str) -> dict:
    return {"role": "user", "content": text}


@pytest.fixture()
def store(tmp_path: Path) -> SQLiteConversations:
    return SQLiteConversations(tmp_path / "nested" / "dir" / "conversations.sqlite")


def test_implements_protocol_and_creates_file(store: SQLiteConversations) -> None:
    typed: ConversationStore = store
    assert typed is store
    assert store.path.is_file()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SQLiteConversations.SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_round_trip_in_order(store: SQLiteConversations) -> None:
    conv = store.create(LOCAL_USER)
    assert len(conv) == 32 and int(conv, 16) >= 0
    sent = [question("Ai chủ trì kế hoạch số 12?"), TURN, question("Còn thời hạn?"), {"role": "assistant"}]
    for message in sent:
        store.append(LOCAL_USER, conv, message)
    assert store.messages(LOCAL_USER, conv) == sent
    assert store.messages(LOCAL_USER, "0" * 32) is None
    with sqlite3.connect(store.path) as conn:  # stored readable, not \u escapes
        bodies = [b for (b,) in conn.execute("SELECT body FROM messages ORDER BY position")]
    assert "Sở Nội vụ" in bodies[1]


def test_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    first = SQLiteConversations(path)
    conv = first.create(LOCAL_USER)
    first.append(LOCAL_USER, conv, question("Nghị quyết 57 nói gì?"))
    first.append(LOCAL_USER, conv, TURN)
    again = SQLiteConversations(path)
    assert again.messages(LOCAL_USER, conv) == [question("Nghị quyết 57 nói gì?"), TURN]
    [summary] = again.list(LOCAL_USER)
    assert summary.id == conv and summary.title == "Nghị quyết 57 nói gì?" and summary.turns == 1


def test_list_newest_first_hides_empty_and_limits(store: SQLiteConversations) -> None:
    a, b, c, empty = (store.create(LOCAL_USER) for _ in range(4))
    store.append(LOCAL_USER, a, question("một"))
    store.append(LOCAL_USER, b, question("hai"))
    store.append(LOCAL_USER, c, question("ba"))
    store.append(LOCAL_USER, a, TURN)  # same second: the latest append still wins
    listed = store.list(LOCAL_USER)
    assert [s.id for s in listed] == [a, c, b]
    assert empty not in {s.id for s in listed}
    assert [s.id for s in store.list(LOCAL_USER, limit=2)] == [a, c]
    assert store.list(LOCAL_USER, limit=0) == []
    summary = listed[0]
    assert isinstance(summary, ConversationSummary)
    assert summary.title == "một" and summary.turns == 1
    assert summary.created.endswith("Z") and len(summary.created) == 20 and summary.updated >= summary.created


def test_title_is_first_question_and_turns_count_questions(store: SQLiteConversations) -> None:
    conv = store.create(LOCAL_USER)
    store.append(LOCAL_USER, conv, {"role": "assistant", "turn": {"answer": "Xin chào"}})
    store.append(LOCAL_USER, conv, question("  Câu hỏi\nđầu tiên  "))
    store.append(LOCAL_USER, conv, TURN)
    store.append(LOCAL_USER, conv, question("Câu hỏi thứ hai"))
    [summary] = store.list(LOCAL_USER)
    assert summary.title == "Câu hỏi đầu tiên"
    assert summary.turns == 2


def test_title_shortening() -> None:
    long = (
        "Kế hoạch thực hiện Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, "
        "đổi mới sáng tạo và chuyển đổi số quốc gia"
    )
    short = shorten_title(long)
    assert len(short) <= TITLE_MAX and short.endswith("…")
    assert long.startswith(short[:-1]) and long[len(short) - 1] == " "  # cut at a word boundary
    assert not short[:-1].endswith((",", " "))
    assert shorten_title("x" * 200) == "x" * (TITLE_MAX - 1) + "…"  # one long word: cut inside it
    assert shorten_title("ngắn") == "ngắn"
    assert shorten_title("a" * TITLE_MAX) == "a" * TITLE_MAX


def test_delete_and_rename(store: SQLiteConversations) -> None:
    keep, gone = store.create(LOCAL_USER), store.create(LOCAL_USER)
    for conv in (keep, gone):
        store.append(LOCAL_USER, conv, question(f"hỏi {conv}"))
    before = store.list(LOCAL_USER)
    assert store.rename(LOCAL_USER, keep, "  Kế hoạch 12  ")
    assert [s.id for s in store.list(LOCAL_USER)] == [s.id for s in before]  # renaming keeps the order
    store.append(LOCAL_USER, keep, question("câu sau không đổi tên"))
    assert {s.id: s.title for s in store.list(LOCAL_USER)}[keep] == "Kế hoạch 12"
    with pytest.raises(ValueError):
        store.rename(LOCAL_USER, keep, "   ")
    assert store.delete(LOCAL_USER, gone)
    assert not store.delete(LOCAL_USER, gone)
    assert store.messages(LOCAL_USER, gone) is None
    assert not store.rename(LOCAL_USER, gone, "x")
    assert [s.id for s in store.list(LOCAL_USER)] == [keep]
    with pytest.raises(ConversationStoreError, match="Không tìm thấy"):
        store.append(LOCAL_USER, gone, question("còn không?"))
    with sqlite3.connect(store.path) as conn:
        left = conn.execute("SELECT count(*) FROM messages WHERE conversation = ?", (gone,)).fetchone()
    assert left == (0,)


def test_users_are_isolated(store: SQLiteConversations) -> None:
    mine = store.create("an")
    store.append("an", mine, question("bí mật của An"))
    assert store.messages("binh", mine) is None
    assert store.list("binh") == []
    with pytest.raises(ConversationStoreError):
        store.append("binh", mine, question("chen vào"))
    assert not store.rename("binh", mine, "đổi tên")
    assert not store.delete("binh", mine)
    # nothing changed for the owner
    assert store.messages("an", mine) == [question("bí mật của An")]
    [summary] = store.list("an")
    assert summary.title == "bí mật của An" and summary.turns == 1


def test_unknown_id_append_refused(store: SQLiteConversations) -> None:
    with pytest.raises(ConversationStoreError, match="Không tìm thấy cuộc trò chuyện"):
        store.append(LOCAL_USER, "khong-co", question("?"))
    with pytest.raises(TypeError):
        store.append(LOCAL_USER, store.create(LOCAL_USER), ["không phải dict"])  # type: ignore[arg-type]


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    SQLiteConversations(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    with pytest.raises(ConversationStoreError) as info:
        SQLiteConversations(path)
    message = str(info.value)
    assert str(path) in message and "phiên bản lược đồ 7" in message and "phiên bản 1" in message


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"day khong phai co so du lieu\n" * 200)
    with pytest.raises(ConversationStoreError) as info:
        SQLiteConversations(path)
    assert str(path) in str(info.value) and "bị hỏng" in str(info.value)
    assert not isinstance(info.value, sqlite3.Error)


def test_threads_appending_concurrently(store: SQLiteConversations) -> None:
    convs = [store.create(LOCAL_USER), store.create(LOCAL_USER)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(convs))

    def work(conv: str) -> None:
        try:
            start.wait()
            for i in range(200):
                role = "user" if i % 2 == 0 else "assistant"
                store.append(LOCAL_USER, conv, {"role": role, "content": str(i)})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(conv,)) for conv in convs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for conv in convs:
        assert [m["content"] for m in store.messages(LOCAL_USER, conv) or []] == [str(i) for i in range(200)]
    assert {s.turns for s in store.list(LOCAL_USER)} == {100}


def test_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACUU_CONVERSATIONS_DB", raising=False)
    assert default_path(tmp_path / "index") == tmp_path / "index-conversations.sqlite"
    assert default_path(Path("index")) == Path("index-conversations.sqlite")
    monkeypatch.setenv("TRACUU_CONVERSATIONS_DB", str(tmp_path / "elsewhere.sqlite"))
    assert default_path(tmp_path / "index") == tmp_path / "elsewhere.sqlite"
