"""Chat conversations in PostgreSQL (retrieval.server.pg_conversations): the cases of
test_conversations.py against PgConversations, on a real server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from retrieval.server.database import LocalServer, open_database
from retrieval.server.pg_conversations import PgConversations
from retrieval.ui.conversations import ConversationStore, ConversationStoreError, ConversationSummary

pytestmark = pytest.mark.postgres

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


@pytest.fixture
def url(pg_url: str) -> str:
    with open_database(pg_url) as conn:
        for name in ("an", "binh"):
            conn.execute("INSERT INTO users (username, password_hash) VALUES (%s, '-')", (name,))
    return pg_url


@pytest.fixture
def store(url: str) -> Iterator[PgConversations]:
    with PgConversations(url) as conversations:
        yield conversations


def test_implements_protocol(store: PgConversations) -> None:
    typed: ConversationStore = store
    assert typed is store


def test_round_trip_in_order_as_jsonb(store: PgConversations, url: str) -> None:
    conv = store.create("an")
    assert len(conv) == 32 and int(conv, 16) >= 0
    sent = [question("Ai chủ trì kế hoạch số 12?"), TURN, question("Còn thời hạn?"), {"role": "assistant"}]
    for message in sent:
        store.append("an", conv, message)
    assert store.messages("an", conv) == sent
    assert store.messages("an", "0" * 32) is None
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT position, jsonb_typeof(body), body->'turn'->>'answer' FROM messages ORDER BY position"
        ).fetchall()
    assert [r[:2] for r in rows] == [(0, "object"), (1, "object"), (2, "object"), (3, "object")]
    assert "Sở Nội vụ" in rows[1][2]


def test_persists_across_instances(url: str) -> None:
    with PgConversations(url) as first:
        conv = first.create("an")
        first.append("an", conv, question("Nghị quyết 57 nói gì?"))
        first.append("an", conv, TURN)
    with PgConversations(url) as again:
        assert again.messages("an", conv) == [question("Nghị quyết 57 nói gì?"), TURN]
        [summary] = again.list("an")
    assert summary.id == conv and summary.title == "Nghị quyết 57 nói gì?" and summary.turns == 1


def test_list_newest_first_hides_empty_and_limits(store: PgConversations) -> None:
    a, b, c, empty = (store.create("an") for _ in range(4))
    store.append("an", a, question("một"))
    store.append("an", b, question("hai"))
    store.append("an", c, question("ba"))
    store.append("an", a, TURN)  # the latest append wins
    listed = store.list("an")
    assert [s.id for s in listed] == [a, c, b]
    assert empty not in {s.id for s in listed}
    assert [s.id for s in store.list("an", limit=2)] == [a, c]
    assert store.list("an", limit=0) == []
    summary = listed[0]
    assert isinstance(summary, ConversationSummary)
    assert summary.title == "một" and summary.turns == 1
    assert summary.created.endswith("Z") and len(summary.created) == 20 and summary.updated >= summary.created


def test_title_is_first_question_and_turns_count_questions(store: PgConversations) -> None:
    conv = store.create("an")
    store.append("an", conv, {"role": "assistant", "turn": {"answer": "Xin chào"}})
    store.append("an", conv, question("  Câu hỏi\nđầu tiên  "))
    store.append("an", conv, TURN)
    store.append("an", conv, question("Câu hỏi thứ hai"))
    [summary] = store.list("an")
    assert summary.title == "Câu hỏi đầu tiên"
    assert summary.turns == 2
    long = "Kế hoạch thực hiện Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, " * 2
    other = store.create("an")
    store.append("an", other, question(long))
    title = {s.id: s.title for s in store.list("an")}[other]
    assert len(title) <= 80 and title.endswith("…") and long.startswith(title[:-1])


def test_delete_and_rename(store: PgConversations, url: str) -> None:
    keep, gone = store.create("an"), store.create("an")
    for conv in (keep, gone):
        store.append("an", conv, question(f"hỏi {conv}"))
    before = store.list("an")
    assert store.rename("an", keep, "  Kế hoạch 12  ")
    assert [s.id for s in store.list("an")] == [s.id for s in before]  # renaming keeps the order
    store.append("an", keep, question("câu sau không đổi tên"))
    assert {s.id: s.title for s in store.list("an")}[keep] == "Kế hoạch 12"
    with pytest.raises(ValueError):
        store.rename("an", keep, "   ")
    assert store.delete("an", gone)
    assert not store.delete("an", gone)
    assert store.messages("an", gone) is None
    assert not store.rename("an", gone, "x")
    assert [s.id for s in store.list("an")] == [keep]
    with pytest.raises(ConversationStoreError, match="Không tìm thấy"):
        store.append("an", gone, question("còn không?"))
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM messages WHERE conversation = %s", (gone,)).fetchone()
    assert left == (0,)


def test_users_are_isolated(store: PgConversations) -> None:
    mine = store.create("an")
    store.append("an", mine, question("bí mật của An"))
    assert store.messages("binh", mine) is None
    assert store.list("binh") == []
    with pytest.raises(ConversationStoreError):
        store.append("binh", mine, question("chen vào"))
    assert not store.rename("binh", mine, "đổi tên")
    assert not store.delete("binh", mine)
    assert store.messages("an", mine) == [question("bí mật của An")]
    [summary] = store.list("an")
    assert summary.title == "bí mật của An" and summary.turns == 1


def test_unknown_user_and_id(store: PgConversations) -> None:
    for call in (
        lambda: store.create("khong-co"),
        lambda: store.list("khong-co"),
        lambda: store.messages("khong-co", "0" * 32),
    ):
        with pytest.raises(ConversationStoreError, match="Không có người dùng 'khong-co'"):
            call()
    with pytest.raises(ConversationStoreError, match="Không tìm thấy cuộc trò chuyện"):
        store.append("an", "khong-co", question("?"))
    with pytest.raises(TypeError):
        store.append("an", store.create("an"), ["không phải dict"])  # type: ignore[arg-type]


def test_unmigrated_database_is_a_clear_error(pg_server: LocalServer) -> None:
    bare = pg_server.create_database("t_conversations_unmigrated")
    with pytest.raises(ConversationStoreError, match="tracuu db upgrade") as info:
        PgConversations(bare)
    assert not isinstance(info.value, psycopg.Error)


def test_threads_appending_concurrently(store: PgConversations) -> None:
    convs = [store.create("an"), store.create("an"), store.create("binh")]
    owners = ["an", "an", "binh"]
    errors: list[BaseException] = []
    start = threading.Barrier(len(convs))

    def work(user: str, conv: str) -> None:
        try:
            start.wait()
            for i in range(60):
                role = "user" if i % 2 == 0 else "assistant"
                store.append(user, conv, {"role": role, "content": str(i)})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in zip(owners, convs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for user, conv in zip(owners, convs, strict=True):
        assert [m["content"] for m in store.messages(user, conv) or []] == [str(i) for i in range(60)]
    assert {s.turns for s in store.list("an")} == {30}
    assert [s.id for s in store.list("binh")] == [convs[2]]


def test_threads_appending_to_one_conversation(store: PgConversations) -> None:
    conv = store.create("an")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(25):
                store.append("an", conv, {"role": "user", "content": f"{worker}-{i}"})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    got = [m["content"] for m in store.messages("an", conv) or []]
    assert len(got) == 100
    for worker in range(4):  # every message once, each worker's in its own order
        assert [c for c in got if c.startswith(f"{worker}-")] == [f"{worker}-{i}" for i in range(25)]
    [summary] = store.list("an")
    assert summary.turns == 100 and summary.title == got[0]
