"""The chat app: HTML helpers (fast) and an end-to-end run in headless Chromium (``-m ui``).

The end-to-end tests start ``streamlit run app.py`` on a free localhost port against a copy of the
sample index and corpus, drive Debian's Chromium with Playwright (never Playwright's own browser),
and save screenshots and timings under ``test-artifacts/``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from retrieval.store import StoredDocument
from retrieval.types import Chunk, DocMetadata
from retrieval.ui.corpus import ChunkLookup, chunk_pieces, filter_options, safe_filename, save_upload
from retrieval.ui.html import (
    doc_line,
    document_html,
    fmt_date,
    highlight,
    merge_spans,
    paragraph_bounds,
    passage_html,
)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("TRACUU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTION = "Báo cáo năm phải gửi trước ngày nào?"
NEW_DOC = (
    "ỦY BAN MTTQ VIỆT NAM\nXÃ HÒA AN\n\nSố: 12/KH-MTTQ\n\nHòa An, ngày 02 tháng 3 năm 2024\n\n"
    "KẾ HOẠCH\nTổ chức Ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư năm 2024\n\n"
    "Thực hiện Kế hoạch số 427-KH/TU ngày 10/9/2020 của Ban Thường vụ Tỉnh ủy Tuyên Quang, "
    "Ban Thường trực Ủy ban MTTQ xã xây dựng kế hoạch như sau:\n\n"
    "I. MỤC ĐÍCH, YÊU CẦU\n\nPhát huy truyền thống đoàn kết của nhân dân trong khu dân cư.\n\n"
    "II. TỔ CHỨC THỰC HIỆN\n\n"
    "Ban Công tác Mặt trận các thôn gửi danh sách hộ gia đình văn hóa tiêu biểu về Ủy ban MTTQ xã "
    "trước ngày 25/10/2024 để tổng hợp, khen thưởng.\n\nTM. BAN THƯỜNG TRỰC\nCHỦ TỊCH\n\nLê Văn Thành\n"
)


# --------------------------------------------------------------------------- fast unit tests
def test_highlight_escapes_and_marks():
    text = "a <b> & c"
    out = highlight(text, [(2, 5)], base=0, anchor="x")
    assert out == 'a <mark id="x">&lt;b&gt;</mark> &amp; c'
    assert highlight("xyz<", [(10, 12)], base=10) == "<mark>xy</mark>z&lt;"
    assert highlight("abc", [(5, 9)]) == "abc"  # outside: clipped away


def test_merge_spans_and_paragraphs():
    assert merge_spans([(5, 8), (1, 3), (2, 4), (8, 9), (7, 7)]) == [(1, 4), (5, 9)]
    text = "one\n\ntwo three\nfour\n\nfive"
    s, e = paragraph_bounds(text, 6, 8)
    assert text[s:e] == "two three\nfour"


def test_labels_and_dates():
    assert fmt_date("2020-02-04") == "04/02/2020" and fmt_date(None) is None
    meta = DocMetadata(
        so_ky_hieu="37/KH-MTTQ-BTT", ngay_ban_hanh="2020-02-04", co_quan_ban_hanh="Ủy ban MTTQ"
    )
    assert doc_line(meta) == "Số 37/KH-MTTQ-BTT · ngày 04/02/2020 · Ủy ban MTTQ"
    assert doc_line(DocMetadata()) == "Không ghi số · không ghi ngày · không rõ cơ quan ban hành"
    html = document_html("x <script>alert(1)</script> y", [(2, 10)], "a1")
    assert "<script>" not in html and 'href="#a1"' in html and 'id="a1"' in html


def test_markdown_escaping_keeps_text_as_written():
    pytest.importorskip("streamlit")
    from retrieval.ui.views import md_escape

    assert md_escape("a *b* $5 <x> # [1]") == "a \\*b\\* \\$5 \\<x\\> \\# \\[1\\]"
    assert md_escape("Tiêu đề\n---") == "Tiêu đề  \n\\-\\-\\-"  # not a heading underline


def test_save_upload_is_safe(tmp_path):
    assert safe_filename("../../etc/Kế hoạch.TXT") == "Kế hoạch.txt"
    assert safe_filename(".hidden.pdf") == "hidden.pdf"
    first = save_upload(tmp_path, "kh.txt", b"abc")
    same = save_upload(tmp_path, "kh.txt", b"abc")
    other = save_upload(tmp_path, "kh.txt", b"xyz")
    assert first.ok and same.ok and other.ok
    assert (first.source, same.source, other.source) == ("kh.txt", "kh.txt", "kh (2).txt")
    assert "đã có" in same.message
    bad = save_upload(tmp_path, "virus.exe", b"MZ")
    assert not bad.ok and "không được hỗ trợ" in bad.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kh (2).txt", "kh.txt"]


def test_filter_options_and_lookup():
    def doc(i, date, cq, loai):
        meta = DocMetadata(ngay_ban_hanh=date, co_quan_ban_hanh=cq, loai_van_ban=loai)
        return StoredDocument(f"d{i}", f"d{i}.txt", "", "txt", f"T{i}", meta, "text")

    docs = {d.doc_id: d for d in [doc(1, "2020-01-01", "Ủy ban", "Kế hoạch"), doc(2, None, "Ban", None)]}
    opts = filter_options(docs)
    assert opts.years == (2020,) and opts.co_quan == ("Ban", "Ủy ban") and opts.loai == ("Kế hoạch",)
    assert opts.undated == 1
    assert ChunkLookup(()).covering("d1", 0, 5) == []


def test_sections_of_sparse_chunks():
    """The header chunk spans the whole document (heading block + signature): shown as two pieces."""
    header = Chunk(
        "d#0", "d", "d.txt", ("Phần đầu văn bản",), 0, 5000, ((0, 100), (120, 200), (4800, 5000)), ""
    )
    body = Chunk("d#1", "d", "d.txt", ("I. MỤC ĐÍCH",), 300, 600, ((300, 600),), "")
    assert chunk_pieces(header) == [(0, 200), (4800, 5000)]
    lookup = ChunkLookup([header, body])
    assert [c.chunk_id for c in lookup.covering("d", 350, 360)] == ["d#1"]
    assert [c.chunk_id for c in lookup.covering("d", 4900, 4910)] == ["d#0"]
    out = passage_html("x" * 5000, chunk_pieces(header), [(4850, 4860)], ["Phần đầu văn bản"])
    assert out.count("<mark>") == 1 and "…" in out and "Phần đầu văn bản" in out
    assert len(out) < 600  # not the 5000 characters in between


# --------------------------------------------------------------------------- in process (no browser)
def _app_test(monkeypatch, index_dir: Path, corpus_dir: Path, timeout: float = 60):
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    for key in [k for k in os.environ if k.startswith("TRACUU_") and k != "TRACUU_CACHE_DIR"]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TRACUU_CONVERSATIONS_DB", str(index_dir.parent / "conversations-apptest.sqlite"))
    monkeypatch.setenv("TRACUU_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("TRACUU_CORPUS_DIR", str(corpus_dir))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)


def test_app_without_index_offers_to_build_it(tmp_path, monkeypatch):
    at = _app_test(monkeypatch, tmp_path / "index", tmp_path / "corpus").run()
    assert not at.exception
    assert "Chưa có chỉ mục" in at.error[0].value
    assert "Lập chỉ mục kho văn bản" in [b.label for b in at.button]


@pytest.mark.slow
def test_app_answers_and_filters_in_process(sample_index, monkeypatch):
    import torch

    threads = torch.get_num_threads()  # the app sets 1 thread process-wide; give the suite its own back
    try:
        at = _app_test(monkeypatch, sample_index, ROOT / "corpus", timeout=300).run()
        assert not at.exception
        at.chat_input[0].set_value(QUESTION).run()
        assert not at.exception
        answer = at.chat_message[-1]
        assert "30/11/2020" in " ".join(h.proto.body for h in answer.get("html"))
        assert "37/KH-MTTQ-BTT" in answer.expander[0].label
        assert "04/02/2020" in answer.expander[0].label
        # Only the Tuyên Quang Party committee's plans: the Khánh Hòa plan can no longer be cited.
        at.multiselect(key="f_co_quan").set_value(["Ban Thường vụ Tỉnh ủy Tuyên Quang"]).run()
        at.chat_input[0].set_value(QUESTION).run()
        assert not at.exception
        labels = [e.label for e in at.chat_message[-1].expander]
        assert labels and all("Tuyên Quang" in label for label in labels), labels
        # Only 2023, undated documents unticked: the 2020 plans and the undated ones are out.
        at.multiselect(key="f_co_quan").set_value([]).run()
        at.select_slider(key="f_years_2020_2023").set_value((2023, 2023)).run()
        at.checkbox(key="f_undated").uncheck().run()
        at.chat_input[0].set_value(QUESTION).run()
        assert not at.exception
        labels = [e.label for e in at.chat_message[-1].expander]
        assert labels and all("/2023" in label for label in labels), labels
    finally:
        torch.set_num_threads(threads)


# --------------------------------------------------------------------------- end to end
def _need(what: str, ok: bool) -> None:
    if ok:
        return
    msg = f"{what} is missing: run `make setup-ui` (Debian chromium + chromium-driver, playwright)"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer within {timeout:.0f} s:\n{log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module")
def app_url(sample_index, tmp_path_factory):
    """``streamlit run app.py`` on a copy of the sample index and corpus; always stopped."""
    _need("Chromium (/usr/bin/chromium)", Path(CHROMIUM).exists())
    _need("Streamlit (pip install streamlit)", importlib.util.find_spec("streamlit") is not None)
    work = tmp_path_factory.mktemp("ui")
    index_dir, corpus_dir = work / "index", work / "corpus"
    shutil.copytree(sample_index, index_dir, ignore=shutil.ignore_patterns(".lock"))
    shutil.copytree(ROOT / "corpus", corpus_dir, ignore=shutil.ignore_patterns("README*"))
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "ui_streamlit.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACUU_") or k == "TRACUU_CACHE_DIR"}
    env.update(
        TRACUU_INDEX_DIR=str(index_dir),
        TRACUU_CORPUS_DIR=str(corpus_dir),
        TRACUU_CONVERSATIONS_DB=str(work / "conversations.sqlite"),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(ROOT),
    )
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true"]
    cmd += [
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    cmd += ["--server.fileWatcherType", "none"]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log)
        yield url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # our own session: streamlit and anything it started
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(app_url, tmp_path_factory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("Playwright (pip install playwright)", False)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
            locale="vi-VN",
        )
        try:
            pg = context.new_page()
            pg.set_default_timeout(60_000)
            pg.goto(app_url, wait_until="domcontentloaded")
            pg.get_by_test_id("stChatInputTextArea").wait_for(state="visible", timeout=240_000)
            yield pg
        finally:
            context.close()


TIMINGS: dict[str, dict] = {}


def _ask(page, question: str):
    """Type ``question``, wait for its answer; return the assistant message locator."""
    from playwright.sync_api import expect

    n = page.get_by_test_id("stChatMessage").count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    t0 = time.perf_counter()
    box.press("Enter")
    message = page.get_by_test_id("stChatMessage").nth(n + 1)
    expect(message.get_by_text("Trả lời trong")).to_be_visible(timeout=90_000)
    wall = time.perf_counter() - t0
    reported = message.get_by_text("Trả lời trong").inner_text()
    seconds = float(re.search(r"Trả lời trong ([\d,]+) giây", reported)[1].replace(",", "."))
    TIMINGS[question] = {"browser_seconds": round(wall, 3), "app_seconds": seconds}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ui_timings.json").write_text(json.dumps(TIMINGS, ensure_ascii=False, indent=2), "utf-8")
    return message


def _assert_fast(question: str) -> None:
    """The extractive answer itself (search + sentences + citation check) takes under a second."""
    limit = float(os.environ.get("TRACUU_UI_MAX_ANSWER_SECONDS", "1.0"))
    assert TIMINGS[question]["app_seconds"] < limit, TIMINGS[question]


@pytest.mark.ui
def test_answer_with_highlighted_source(page):
    from playwright.sync_api import expect

    msg = _ask(page, QUESTION)
    expect(msg).to_contain_text("30/11/2020")
    _assert_fast(QUESTION)
    expect(msg).to_contain_text("Nguồn trích dẫn")
    source = msg.get_by_test_id("stExpander").first
    expect(source).to_contain_text("[1]")
    expect(source).to_contain_text("37/KH-MTTQ-BTT")
    expect(source).to_contain_text("04/02/2020")
    page.screenshot(path=str(ARTIFACTS / "ui_answer.png"), full_page=True)
    source.locator("summary").click()
    mark = source.locator("mark").first
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("30/11/2020")
    expect(source).to_contain_text("Ban Thường trực Ủy ban MTTQ các huyện, thị, thành phố")  # its heading
    expect(source).not_to_contain_text("Độc lập - Tự do - Hạnh phúc")  # its section, not the document
    page.screenshot(path=str(ARTIFACTS / "ui_source_open.png"), full_page=True)

    source.get_by_role("button", name="Đọc toàn văn").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("37/KH-MTTQ-BTT")
    cited = dialog.locator("mark").first
    expect(cited).to_contain_text("30/11/2020")
    expect(cited).to_be_in_viewport()  # scrolled to the cited part on opening
    page.screenshot(path=str(ARTIFACTS / "ui_full_document.png"))
    dialog.locator(".tc-document").evaluate("e => e.scrollTo(0, 0)")
    expect(cited).not_to_be_in_viewport()
    dialog.get_by_role("link", name="Đến đoạn được trích dẫn").click()  # the no-JavaScript way back
    expect(cited).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


@pytest.mark.ui
def test_question_without_diacritics(page):
    from playwright.sync_api import expect

    msg = _ask(page, "bao cao nam phai gui truoc ngay nao")
    expect(msg).to_contain_text("30/11/2020")
    _assert_fast("bao cao nam phai gui truoc ngay nao")
    expect(msg.get_by_test_id("stExpander").first).to_contain_text("37/KH-MTTQ-BTT")
    page.screenshot(path=str(ARTIFACTS / "ui_no_diacritics.png"), full_page=True)


@pytest.mark.ui
def test_refusal_lists_nearest_documents(page):
    from playwright.sync_api import expect

    msg = _ask(page, "Giá cổ phiếu ngân hàng trên sàn chứng khoán hôm nay là bao nhiêu?")
    expect(msg).to_contain_text("Không tìm thấy thông tin này trong các văn bản hiện có.")
    expect(msg).to_contain_text("Các văn bản gần nhất")
    expect(msg.get_by_test_id("stExpander").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ui_refusal.png"), full_page=True)


@pytest.mark.ui
def test_document_list_opens_full_text(page):
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Kho văn bản (5)").click()
    expect(sidebar).to_contain_text("427-KH/TU")
    sidebar.get_by_role("button", name="Xem toàn văn").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".tc-document")).to_contain_text("KẾ HOẠCH")
    page.screenshot(path=str(ARTIFACTS / "ui_document_list.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    sidebar.get_by_text("Kho văn bản (5)").click()  # fold it again


@pytest.mark.ui
def test_upload_is_indexed_and_searchable(page, tmp_path):
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Thêm văn bản").click()
    doc = tmp_path / "ke-hoach-ngay-hoi.txt"
    doc.write_text(NEW_DOC, encoding="utf-8")
    bad = tmp_path / "bao-cao.txt"
    bad.write_bytes(b"%PDF-1.4 not really text")
    sidebar.locator("input[type=file]").set_input_files([str(doc), str(bad)])
    button = sidebar.get_by_role("button", name="Lưu và lập chỉ mục")
    expect(button).to_be_enabled()  # both files received by the server
    button.click()
    report = sidebar.get_by_test_id("stExpander").last
    expect(report).to_contain_text("ke-hoach-ngay-hoi.txt: đã thêm vào chỉ mục", timeout=180_000)
    expect(report).to_contain_text("bao-cao.txt")  # not a text file: reported and not kept
    expect(report).to_contain_text("Tệp chưa được thêm vào kho")
    expect(sidebar.get_by_text("Kho văn bản (6)")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ui_upload.png"), full_page=True)
    msg = _ask(page, "Danh sách hộ gia đình văn hóa tiêu biểu gửi trước ngày nào?")
    expect(msg).to_contain_text("25/10/2024")
    expect(msg.get_by_test_id("stExpander").first).to_contain_text("12/KH-MTTQ")
    # The plan it implements now lists it, and the link opens it.
    page.goto(page.url.split("?")[0] + "kho-van-ban", wait_until="domcontentloaded")
    page.get_by_label("Lọc danh mục").fill("427")
    page.keyboard.press("Enter")
    grid = page.get_by_test_id("stDataFrame")
    expect(grid.locator("td[aria-colindex='2']")).to_have_count(1)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 52)
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_role("tab", name="Liên kết văn bản").click()
    link = main.get_by_role("link", name="12/KH-MTTQ")
    expect(link).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ui_implemented_by.png"), full_page=True)
    link.click()
    expect(main).to_contain_text("Lê Văn Thành")  # the implementing plan's record (its signer)
    page.goto(page.url.split("kho-van-ban")[0], wait_until="domcontentloaded")


# --------------------------------------------------------------------------- the chat a cadre uses
def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def _new_conversation(page) -> None:
    from playwright.sync_api import expect

    page.goto(page.url.split("?")[0].split("/kho-van-ban")[0], wait_until="domcontentloaded")
    expect(page.get_by_test_id("tc-archive")).to_be_visible(timeout=120_000)


FIRST_QUESTION: list[str] = []  # the example question that opened the conversation (its title)


@pytest.mark.ui
def test_first_screen_describes_the_archive_and_offers_its_questions(page):
    from playwright.sync_api import expect

    _new_conversation(page)
    stats = page.get_by_test_id("tc-archive")
    held = page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Kho văn bản \((\d+)\)")).inner_text()
    expect(stats).to_contain_text(re.search(r"\d+", held)[0] + "văn bản")  # as many as the archive holds
    expect(stats).to_contain_text("2020–20")
    examples = _main(page).get_by_role("button").filter(has_text="?")
    expect(examples.nth(3)).to_be_visible()  # at least four questions drawn from the archive
    expect(_main(page)).to_contain_text("tracuu làm được gì, chưa làm được gì")
    page.screenshot(path=str(ARTIFACTS / "ui_first_screen.png"), full_page=True)
    signer = _main(page).get_by_role("button").filter(has_text="Ai ký").first
    FIRST_QUESTION.append(signer.inner_text().split("\n")[-1].strip())
    signer.click()
    message = page.get_by_test_id("stChatMessage").nth(1)
    expect(message.get_by_text("Trả lời trong")).to_be_visible(timeout=90_000)
    expect(message.locator(".tc-answer")).to_contain_text("người ký")
    expect(message.get_by_test_id("stExpander").first).to_be_visible()  # its sources
    expect(page.get_by_test_id("tc-archive")).to_have_count(0)  # the first screen made way


@pytest.mark.ui
def test_citation_link_opens_its_source_highlighted(page):
    from playwright.sync_api import expect

    msg = _ask(page, QUESTION)
    answer = msg.locator(".tc-answer")
    expect(answer).to_contain_text("30/11/2020")
    expect(answer).not_to_contain_text("**")
    cite = answer.locator("a.tc-cite").first
    n = cite.get_attribute("data-n")
    source = msg.get_by_test_id("stExpander").filter(has_text=f"[{n}]").first
    expect(source.locator("mark")).to_be_hidden()  # closed before the click
    cite.click()
    mark = source.locator("mark").first
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("30/11/2020")
    expect(mark).to_be_in_viewport()
    expect(source).to_contain_text("Mục:")  # where in the document, as a cadre reads it
    expect(source).not_to_contain_text("vị trí ký tự")
    page.screenshot(path=str(ARTIFACTS / "ui_citation_link.png"))
    source.get_by_role("link", name="Hồ sơ văn bản").click()  # the document's record, span highlighted
    expect(page).to_have_url(re.compile(r"kho-van-ban\?van_ban=.*tu=\d+"))
    cited = page.locator(".tc-document mark").first
    expect(cited).to_contain_text("30/11/2020")
    expect(cited).to_be_in_viewport()
    page.get_by_test_id("stSidebarNav").get_by_text("Hỏi đáp").click()  # back: the conversation is kept
    expect(page.get_by_test_id("stChatMessage").filter(has_text="30/11/2020").first).to_be_visible()


@pytest.mark.ui
def test_export_docx_and_markdown(page, tmp_path):
    import docx

    msg = page.get_by_test_id("stChatMessage").last
    with page.expect_download() as info:
        msg.get_by_role("button", name="Tải về DOCX").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".docx"
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert QUESTION in text and "30/11/2020" in text
    assert "Kế hoạch số 37/KH-MTTQ-BTT ngày 04/02/2020" in text  # the cited document, as it is cited
    with page.expect_download() as info:
        msg.get_by_role("button", name="Tải về Markdown").click()
    md = tmp_path / info.value.suggested_filename
    info.value.save_as(md)
    body = md.read_text(encoding="utf-8")
    assert body.startswith("# ") and "30/11/2020" in body and "37/KH-MTTQ-BTT" in body


@pytest.mark.ui
def test_reload_finds_the_conversation_and_history_deletes_it(page):
    from playwright.sync_api import expect

    assert "hoi=" in page.url  # the conversation rides in the address
    page.reload(wait_until="domcontentloaded")
    msg = page.get_by_test_id("stChatMessage").filter(has_text="30/11/2020").first
    expect(msg).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stChatMessage").filter(has_text=QUESTION).first).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    entry = sidebar.get_by_role("button", name=FIRST_QUESTION[-1])  # titled by its first question
    expect(entry).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ui_reloaded.png"), full_page=True)
    sidebar.get_by_role("button", name="Cuộc trò chuyện mới").click()
    expect(page.get_by_test_id("tc-archive")).to_be_visible()  # an empty conversation: the first screen
    assert "hoi=" not in page.url
    entry.click()  # reopened from the history list
    expect(page.get_by_test_id("stChatMessage").filter(has_text="30/11/2020").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"hoi="))
    before = sidebar.locator("[class*='st-key-conv-del-']").count()
    sidebar.locator("[class*='st-key-conv-del-']").first.get_by_role("button").click()
    expect(sidebar.locator("[class*='st-key-conv-del-']")).to_have_count(before - 1)


@pytest.mark.ui
def test_removable_filter_chip_asks_again_without_it(page):
    from playwright.sync_api import expect

    _new_conversation(page)
    msg = _ask(page, "Các kế hoạch năm 2020")
    chip = msg.get_by_role("button", name="năm 2020")
    expect(chip).to_be_visible()
    expect(msg.locator(".tc-answer")).not_to_contain_text("2023")
    expect(msg.locator(".tc-answer")).not_to_contain_text("Lưu ý: Đã lọc theo")  # the chip says it
    page.screenshot(path=str(ARTIFACTS / "ui_filter_chip.png"), full_page=True)
    n = page.get_by_test_id("stChatMessage").count()
    chip.click()
    again = page.get_by_test_id("stChatMessage").nth(n + 1)
    expect(again.get_by_text("Trả lời trong")).to_be_visible(timeout=90_000)
    expect(again.locator(".tc-answer")).to_contain_text("2023")  # the 2023 plan is back
    expect(again.get_by_role("button", name="năm 2020")).to_have_count(0)


@pytest.mark.ui
def test_year_filter_keeps_undated_documents_unless_unticked(page):
    from playwright.sync_api import expect

    _new_conversation(page)
    sidebar = page.get_by_test_id("stSidebar")
    upper = sidebar.get_by_role("slider").nth(1)
    upper.focus()
    page.keyboard.press("Home")  # 2020–… -> 2020–2020 (only years the archive holds are offered)
    years = sidebar.get_by_test_id("stSlider").first
    expect(years).to_contain_text("Năm ban hành20202020")  # both thumbs on 2020
    expect(years).not_to_contain_text("2021")  # a year without documents is not offered
    undated = sidebar.get_by_role("checkbox", name="Gồm cả văn bản không ghi ngày")
    expect(undated).to_be_checked()
    question = "Mỗi chi bộ cơ sở được cấp bao nhiêu cuốn tài liệu học tập chuyên đề năm 2020?"
    msg = _ask(page, question)  # answered by an undated 2020 plan
    expect(msg.locator(".tc-answer")).to_contain_text("2 cuốn")
    sidebar.get_by_test_id("stCheckbox").filter(has_text="không ghi ngày").locator("label").click()
    expect(undated).not_to_be_checked()
    msg = _ask(page, question)
    expect(msg).not_to_contain_text("mỗi chi bộ 2 cuốn")
    page.screenshot(path=str(ARTIFACTS / "ui_year_filter.png"), full_page=True)
    page.goto(page.url.split("?")[0], wait_until="domcontentloaded")  # a fresh session: filters reset


@pytest.mark.ui
def test_catalogue_sorts_and_opens_a_document(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url + "/kho-van-ban", wait_until="domcontentloaded")
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible(timeout=120_000)
    cells = grid.locator("td[aria-colindex='2']")  # Số/ký hiệu, from the grid's accessible table
    expect(cells.nth(4)).to_be_attached()  # every document of the archive is listed
    page.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Số/ký hiệu").click()
    expect(cells.first).not_to_have_text("")  # the numbered documents first
    deadline = time.monotonic() + 30
    numbers: list[str] = []
    while time.monotonic() < deadline:
        numbers = [t for t in cells.all_text_contents() if t]
        if len(numbers) >= 2 and numbers == sorted(numbers, key=str.lower):
            break
        time.sleep(0.5)
    assert len(numbers) >= 2 and numbers == sorted(numbers, key=str.lower), numbers
    expect(grid.locator("td[aria-colindex='1']").first).not_to_have_text("None")
    page.screenshot(path=str(ARTIFACTS / "ui_catalogue.png"), full_page=True)
    page.get_by_label("Lọc danh mục").fill("tinh uy tuyen quang")  # the uploaded plan is in Tuyên Quang too
    page.keyboard.press("Enter")
    expect(cells).to_have_count(1)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 52)  # the row's selection box
    expect(page).to_have_url(re.compile(r"van_ban="), timeout=30_000)
    main = _main(page)
    expect(main).to_contain_text("427-KH/TU")
    expect(main).to_contain_text("Nguyễn Hồng Thắng")
    expect(main.get_by_role("button", name="Tải tệp gốc")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ui_document_record.png"), full_page=True)
    main.get_by_text("Mục lục").click()
    main.locator(".tc-toc a").first.click()
    main.get_by_role("tab", name="Liên kết văn bản").click()
    expect(main).to_contain_text("160-TB/TW")  # a document it implements, not in the archive


@pytest.mark.ui
def test_narrow_screen_has_no_sideways_scrolling(page, app_url):
    from playwright.sync_api import expect

    pg = page.context.new_page()  # a second tab of the same browser, phone-sized
    try:
        pg.set_viewport_size({"width": 390, "height": 844})
        pg.set_default_timeout(60_000)
        pg.goto(app_url, wait_until="domcontentloaded")
        expect(pg.get_by_test_id("tc-archive")).to_be_visible(timeout=120_000)
        _main(pg).get_by_role("button").filter(has_text="thực hiện").first.click()
        msg = pg.get_by_test_id("stChatMessage").nth(1)
        expect(msg.get_by_text("Trả lời trong")).to_be_visible(timeout=90_000)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        pg.screenshot(path=str(ARTIFACTS / "ui_390_answer.png"), full_page=True)
        pg.goto(app_url + "/kho-van-ban", wait_until="domcontentloaded")
        expect(pg.get_by_test_id("stDataFrame")).to_be_visible(timeout=60_000)
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        pg.screenshot(path=str(ARTIFACTS / "ui_390_catalogue.png"), full_page=True)
    finally:
        pg.close()


@pytest.mark.ui
def test_no_english_chrome(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url, wait_until="domcontentloaded")
    expect(page.get_by_test_id("tc-archive")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stMainMenu")).to_have_count(0)  # no Rerun / Clear cache / Record screen
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Thêm văn bản").click()
    expect(sidebar.get_by_test_id("stFileUploaderDropzone")).to_be_visible()
    for english in (
        "Browse files",
        "Drag and drop files here",
        "200MB per file",
        "Deploy",
        "Made with Streamlit",
    ):
        expect(page.get_by_text(english)).to_be_hidden()
    drawn = page.evaluate(
        "getComputedStyle(document.querySelector('[data-testid=stFileUploaderDropzone] button p'), '::after')"
        ".content"
    )
    assert "Chọn tệp" in drawn  # the Vietnamese drawn in place of Streamlit's English
    expect(sidebar).not_to_contain_text("make setup-llm")  # setup hints go to the log, not to the cadre
    sidebar.get_by_text("Thêm văn bản").click()
