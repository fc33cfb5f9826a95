"""The app in server mode (``TRACUU_DATABASE_URL``) against a real PostgreSQL: login, what a reader
may see, conversations per user, uploads only for editors. In process (Streamlit's AppTest) and end to
end in headless Chromium (``-m ui``): login, the reload that keeps the session (cookie), a reader who
cannot reach a confidential collection from the chat or the catalogue, rate-limited wrong passwords,
logout."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from retrieval.indexing.pg_import import index_into_database
from retrieval.indexing.pg_migrate import migrate_folder
from retrieval.server.access import grant
from retrieval.server.auth import create_user
from retrieval.server.collections import collection_id, create_collection
from retrieval.server.database import connect, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SECRET_TITLE = "Phương án bảo vệ kho lưu trữ tài liệu mật năm 2025"
SECRET = (
    f"KẾ HOẠCH\n{SECRET_TITLE}\n\nI. MỤC ĐÍCH\nMã khóa phòng lưu trữ số hai được đổi vào ngày 17 tháng 3 "
    "hằng năm do đồng chí Trưởng phòng Hành chính trực tiếp giữ chìa khóa dự phòng.\n"
)
SECRET_Q = "Mã khóa phòng lưu trữ số hai được đổi vào ngày nào?"
PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture(scope="module")
def server_db(pg_server, sample_index, real_settings, real_embedder, tmp_path_factory):
    """Collections 'chung' (the sample plans) and 'mat' (one confidential plan); users: admin, a
    reader of 'chung' only ('canbo'), an editor of 'chung' ('bientap')."""
    url = pg_server.create_database("t_ui_server")
    migrate(url)
    corpus = tmp_path_factory.mktemp("server-corpus")
    migrate_folder(sample_index, url, "chung")
    (corpus / "mat").mkdir()
    (corpus / "mat" / "phuong-an.txt").write_text(SECRET, encoding="utf-8")
    with connect(url) as conn:
        create_collection(conn, "mat", "Tài liệu mật", confidential=True)
        chung = collection_id(conn, "chung")
        create_user(conn, "admin", PASSWORD, is_admin=True)
        reader = create_user(conn, "canbo", PASSWORD, display_name="Cán bộ Văn phòng")
        editor = create_user(conn, "bientap", PASSWORD)
        grant(conn, reader.id, chung, "reader")
        grant(conn, editor.id, chung, "editor")
    index_into_database(corpus / "mat", url, "mat", real_settings, real_embedder)
    return url, corpus


def _app(monkeypatch, url: str, corpus: Path):
    from streamlit.testing.v1 import AppTest

    for key in [k for k in os.environ if k.startswith("TRACUU_") and k != "TRACUU_CACHE_DIR"]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TRACUU_DATABASE_URL", url)
    monkeypatch.setenv("TRACUU_CORPUS_DIR", str(corpus))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)


def _login(at, username: str, password: str):
    at.text_input[0].set_value(username)
    at.text_input[1].set_value(password)
    return at.button[0].click().run()


def test_login_then_a_reader_sees_only_granted_collections(server_db, monkeypatch):
    import torch

    threads = torch.get_num_threads()
    url, corpus = server_db
    try:
        at = _app(monkeypatch, url, corpus).run()
        assert not at.exception
        assert [t.label for t in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]
        assert not at.chat_input  # nothing of the archive before logging in
        at = _login(at, "canbo", "sai-mat-khau")
        assert "không đúng" in at.error[0].value
        at = _login(at, "canbo", PASSWORD)
        assert not at.exception and at.chat_input
        at.chat_input[0].set_value(SECRET_Q).run()
        assert not at.exception
        labels = " ".join(e.label for e in at.chat_message[-1].expander)
        body = " ".join(h.proto.body for h in at.chat_message[-1].get("html"))
        assert "17 tháng 3" not in body and "kho lưu trữ tài liệu mật" not in labels
        # a reader has no upload form; the catalogue list in the sidebar has no confidential plan
        assert "Lưu và lập chỉ mục" not in [b.label for b in at.button]
        sidebar = " ".join(e.label for e in at.sidebar.expander)
        assert "Kho văn bản (5)" in sidebar, sidebar
    finally:
        torch.set_num_threads(threads)


def test_admin_reads_every_collection_and_may_upload(server_db, monkeypatch):
    import torch

    threads = torch.get_num_threads()
    url, corpus = server_db
    try:
        at = _login(_app(monkeypatch, url, corpus).run(), "admin", PASSWORD)
        assert not at.exception
        at.chat_input[0].set_value(SECRET_Q).run()
        body = " ".join(h.proto.body for h in at.chat_message[-1].get("html"))
        assert "17 tháng 3" in body  # the same question answered for someone who may read it
        assert "Lưu và lập chỉ mục" in [b.label for b in at.button]
        assert "Kho văn bản (6)" in " ".join(e.label for e in at.sidebar.expander)
    finally:
        torch.set_num_threads(threads)


def test_a_document_written_elsewhere_arrives_while_the_old_view_is_served(
    server_db, monkeypatch, tmp_path, real_settings, real_embedder
):
    """Another indexer writes into a collection a reader has open: the reader's next interaction is
    served at once from the view in hand with a notice, and the new document arrives when the view
    loaded in the background is swapped in."""
    import shutil

    import torch

    from retrieval.indexing.pgstore import remove_document
    from retrieval.ui import server as ui_server

    threads = torch.get_num_threads()
    url, corpus = server_db
    gate = threading.Event()
    build = ui_server.build_resources

    def held_build(settings, searcher):  # the background load, held until the test lets it go
        assert gate.wait(120)
        return build(settings, searcher)

    folder = tmp_path / "chung"
    shutil.copytree(ROOT / "corpus", folder, ignore=shutil.ignore_patterns("README*"))
    (folder / "ke-hoach-moi.txt").write_text(
        "KẾ HOẠCH\nVề tổ chức hội thao truyền thống năm 2026\n\n"
        "I. MỤC ĐÍCH\nHội thao tổ chức ngày 9 tháng 9.\n",
        encoding="utf-8",
    )
    try:
        at = _login(_app(monkeypatch, url, corpus).run(), "canbo", PASSWORD)
        assert "Kho văn bản (5)" in " ".join(e.label for e in at.sidebar.expander)
        report = index_into_database(folder, url, "chung", real_settings, real_embedder)
        assert report.added == ["ke-hoach-moi.txt"] and not report.removed
        monkeypatch.setattr(ui_server, "build_resources", held_build)
        at.run()
        assert not at.exception
        assert "Kho văn bản (5)" in " ".join(e.label for e in at.sidebar.expander)  # not blocked
        assert ui_server.UPDATING in " ".join(c.value for c in at.sidebar.caption)
        gate.set()
        deadline = time.monotonic() + 120
        while "Kho văn bản (6)" not in " ".join(e.label for e in at.run().sidebar.expander):
            assert time.monotonic() < deadline, "the new view never arrived"
            time.sleep(0.5)
        assert ui_server.UPDATING not in " ".join(c.value for c in at.sidebar.caption)
    finally:
        gate.set()
        torch.set_num_threads(threads)
        with connect(url, autocommit=True) as conn:
            remove_document(conn, collection_id(conn, "chung"), "ke-hoach-moi.txt")


# --------------------------------------------------------------------------- end to end (Chromium)
@pytest.fixture(scope="module")
def server_app(server_db, tmp_path_factory):
    from test_ui import CHROMIUM, _free_port, _need, _stop, _wait_healthy

    _need("Chromium (/usr/bin/chromium)", Path(CHROMIUM).exists())
    url, corpus = server_db
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    log = artifacts / "ui_server_streamlit.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACUU_") or k == "TRACUU_CACHE_DIR"}
    env.update(
        TRACUU_DATABASE_URL=url,
        TRACUU_CORPUS_DIR=str(corpus),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(ROOT),
    )
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true"]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        app_url = f"http://127.0.0.1:{port}"
        _wait_healthy(app_url, proc, log)
        yield app_url
    finally:
        _stop(proc)


@pytest.mark.ui
def _attempts(url: str, name: str) -> int:
    with connect(url) as conn:
        return conn.execute("SELECT count(*) FROM login_attempts WHERE username = %s", (name,)).fetchone()[0]


def test_browser_login_reload_reader_limits_rate_limit_logout(server_app, server_db, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from test_ui import CHROMIUM, CHROMIUM_ARGS

    shots = ROOT / "test-artifacts"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(120_000)
        try:
            page.goto(server_app, wait_until="domcontentloaded")
            page.get_by_label("Tên đăng nhập").fill("canbo")
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(state="visible", timeout=240_000)
            expect(page.get_by_text("Cán bộ Văn phòng")).to_be_visible()
            box.fill(SECRET_Q)
            box.press("Enter")
            message = page.get_by_test_id("stChatMessage").nth(1)
            expect(message.get_by_text("Trả lời trong")).to_be_visible(timeout=120_000)
            expect(message).not_to_contain_text("17 tháng 3")
            page.screenshot(path=str(shots / "ui_server_reader_answer.png"))
            # the catalogue: the five plans of 'chung', never the confidential plan
            page.goto(server_app + "/kho-van-ban", wait_until="domcontentloaded")
            expect(page.get_by_text("5 văn bản.", exact=False).first).to_be_visible(timeout=120_000)
            expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(shots / "ui_server_reader_catalogue.png"))
            # asking for the confidential document by its address: refused as absent
            page.goto(server_app + "/kho-van-ban?van_ban=mat/phuong-an", wait_until="domcontentloaded")
            expect(page.get_by_text("không còn trong kho")).to_be_visible(timeout=120_000)
            expect(page.get_by_text(SECRET_TITLE)).to_have_count(0)
            expect(page.get_by_text("17 tháng 3")).to_have_count(0)
            # a reload (a new Streamlit session) keeps the login through the cookie
            page.goto(server_app, wait_until="domcontentloaded")
            page.get_by_test_id("stChatInputTextArea").wait_for(state="visible", timeout=120_000)
            assert any(c["name"] == "tracuu_session" for c in context.cookies())
            page.get_by_role("button", name="Đăng xuất").click()
            # wrong passwords: refused, then rate-limited even with the right password
            for i in range(7):
                name_box = page.get_by_label("Tên đăng nhập")
                expect(name_box).to_have_count(1)  # the previous run's form is gone
                name_box.fill("bientap")
                page.get_by_label("Mật khẩu").fill(PASSWORD if i == 6 else f"sai-{i}")
                before = _attempts(server_db[0], "bientap")
                page.get_by_role("button", name="Đăng nhập").click()
                deadline = time.monotonic() + 60  # each attempt reaches the server before the next
                while _attempts(server_db[0], "bientap") == before and time.monotonic() < deadline:
                    time.sleep(0.2)
                page.wait_for_timeout(300)
            expect(page.get_by_text("quá nhiều lần")).to_be_visible()
            expect(page.get_by_test_id("stChatInputTextArea")).to_have_count(0)
            page.screenshot(path=str(shots / "ui_server_rate_limited.png"))
        finally:
            browser.close()


def test_admin_page_creates_a_user_and_grants_it(server_db, monkeypatch):
    from retrieval.server.audit import recent

    url, corpus = server_db
    at = _login(_app(monkeypatch, url, corpus).run(), "admin", PASSWORD)
    at.switch_page("retrieval/ui/pages/admin.py").run()
    assert not at.exception
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Tên đăng nhập (chữ thường, số, . _ -)"].set_value("nguoimoi")
    form_inputs["Họ tên"].set_value("Người Mới")
    form_inputs["Mật khẩu (ít nhất 8 ký tự)"].set_value("mat-khau-moi-1")
    next(b for b in at.button if b.label == "Tạo").click().run()
    assert not at.exception
    assert any("Đã tạo người dùng 'nguoimoi'" in s.value for s in at.success)
    with connect(url) as conn:
        assert [e.target for e in recent(conn, 5, "create_user")][0] == "nguoimoi"
