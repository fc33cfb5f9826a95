"""Extractive answers, the Answerer (refusal, fallback, streaming, JSON), confidence calibration and
the LangChain glue, on real passages of the sample corpus (no index, no LLM needed)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.answer import Answerer, calibrate_refusal, make_backend
from retrieval.answer.backends import ChatBackend, LlmConfig
from retrieval.answer.chat_models import BackendUnavailable
from retrieval.answer.confidence import confidence, features
from retrieval.answer.extractive import ExtractiveBackend, extract, profile
from retrieval.answer.passages import passages_from_hits
from retrieval.answer.prompting import answer_prompt, format_passages
from retrieval.answer.result import REFUSAL
from retrieval.answer.retriever import TracuuRetriever, passages_from_documents
from retrieval.answer.testing import hits_from_needles, read_document
from retrieval.settings import Settings

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
DOC0 = "000_7f24dc1676206cad.txt"
DOC1 = "001_a12b2318b784b2b4.txt"
DOC3 = "003_66380168433525af.txt"
DOC4 = "004_18ce676507074b40.txt"

REPORT_HITS = [
    (DOC0, "- Báo cáo kết quả thực hiện chuyên đề năm 2020"),
    (DOC4, "Sau hội nghị cấp tỉnh"),
    (DOC1, "I. MỤC ĐÍCH"),
]
SPORTS_Q = "Ai là huấn luyện viên trưởng đội tuyển bóng đá quốc gia?"


class FakeSearcher:
    """Returns fixed hits (with per-retriever ranks) whatever the query."""

    def __init__(self, needles, lines: int = 4, scores: dict | None = None):
        hits = hits_from_needles(CORPUS, needles, lines=lines)
        self.hits = [replace(h, scores=dict(scores or {"bm25": h.rank, "dense": h.rank})) for h in hits]
        self.calls: list[tuple] = []

    def search(self, query, k=10, mode="hybrid", filters=None):
        self.calls.append((query, k, mode, filters))
        return self.hits[:k]


class ScriptedBackend:
    """An 'LLM' that answers with a fixed text, in pieces."""

    def __init__(self, text: str, name: str = "openai"):
        self.text, self.name, self.max_passages = text, name, 3

    def stream(self, question, passages):
        for i in range(0, len(self.text), 7):
            yield self.text[i : i + 7]


class BrokenBackend(ScriptedBackend):
    def stream(self, question, passages):
        yield "Báo cáo"
        raise ConnectionError("máy chủ không phản hồi")


@pytest.fixture(scope="module")
def report_passages():
    return passages_from_hits(hits_from_needles(CORPUS, REPORT_HITS, lines=4))


# ---------------------------------------------------------------- extractive


def test_question_profile_detects_what_is_asked():
    assert profile("Báo cáo năm phải gửi trước ngày nào?").wants_date
    assert profile("Có bao nhiêu đảng viên tham gia?").wants_number
    assert profile("Kế hoạch số mấy?").wants_code
    assert "#427-kh/tu" in profile("Kế hoạch 427 - KH/TU yêu cầu gì?").tokens


def test_extractive_answers_the_report_deadline_with_an_exact_quote(report_passages):
    text = extract("Báo cáo năm phải gửi trước ngày nào?", report_passages)
    assert "30/11/2020" in text and text.endswith("[1]")
    quote = text.rsplit(" [", 1)[0]
    doc = read_document(CORPUS / DOC0)
    assert quote in doc and quote.startswith("Báo cáo kết quả thực hiện chuyên đề năm 2020")


def test_extractive_prefers_sentences_to_headings_and_one_sentence_for_a_date():
    hits = hits_from_needles(CORPUS, [(DOC3, "1. Nội dung tuyên truyền trọng tâm")], lines=3)
    text = extract("Nội dung tuyên truyền trọng tâm gồm những gì?", passages_from_hits(hits))
    assert text.startswith("Nội dung tuyên truyền trọng tâm về công tác xây dựng Đảng")
    hits = hits_from_needles(CORPUS, [(DOC0, "Ký hiệu 37/KH-MTTQ-BTT")], lines=6)
    assert extract("Kế hoạch ban hành ngày nào?", passages_from_hits(hits)) == "Ngày ban hành 04-02-2020 [1]"


def test_extractive_is_instant_once_loaded(report_passages):
    extract("Hình thức học tập chủ yếu là gì?", report_passages)  # loads underthesea
    t0 = time.perf_counter()
    for q in (
        "Ai chủ trì tổ chức ghi hình bài giảng?",
        "Thời gian hoàn thành là khi nào?",
        "Mục đích là gì?",
    ):
        extract(q, report_passages)
    assert (time.perf_counter() - t0) / 3 < 1.0


def test_answerer_extractive_end_to_end_json(report_passages):
    searcher = FakeSearcher(REPORT_HITS)
    answer = Answerer(searcher, ExtractiveBackend(), k=5).answer("Báo cáo năm phải gửi trước ngày nào?")
    data = answer.to_json()
    assert list(data) == ["question", "answer", "refused", "citations", "backend", "understood"]
    assert data["understood"]["y_dinh"] == "hỏi nội dung" and data["understood"]["bo_loc"] == []
    assert data["backend"] == "extractive" and data["refused"] is False
    assert "30/11/2020" in data["answer"]
    c = data["citations"][0]
    assert list(c) == ["n", "chunk_id", "doc_id", "source", "quote", "start", "end", "verified"]
    assert c["n"] == 1 and c["verified"] is True and c["doc_id"] == "000" and c["source"] == DOC0
    assert read_document(CORPUS / DOC0)[c["start"] : c["end"]] == c["quote"]
    assert "30/11/2020" in c["quote"]
    json.dumps(data, ensure_ascii=False)
    assert searcher.calls == [("Báo cáo năm phải gửi trước ngày nào?", 5, "hybrid", None)]


def test_stream_yields_the_whole_extractive_answer_then_the_final_answer():
    stream = Answerer(FakeSearcher(REPORT_HITS)).stream("Báo cáo năm phải gửi trước ngày nào?")
    pieces = list(stream)
    assert len(pieces) == 1 and "30/11/2020" in pieces[0]
    assert stream.answer.citations and "30/11/2020" in stream.answer.answer


# ---------------------------------------------------------------- refusal and confidence


def test_low_confidence_refuses_and_lists_the_nearest_documents():
    searcher = FakeSearcher(REPORT_HITS, scores={"bm25": 40, "dense": 25})
    answer = Answerer(searcher).answer(SPORTS_Q)
    assert answer.refused and answer.citations == ()
    assert answer.answer.startswith(REFUSAL)
    assert DOC0 in answer.answer and DOC4 in answer.answer  # nearest documents listed
    assert answer.to_json()["citations"] == []


def test_confidence_separates_answerable_from_unrelated_questions():
    hits = FakeSearcher(REPORT_HITS).hits
    good = confidence("Báo cáo năm phải gửi trước ngày nào?", hits)
    bad = confidence(SPORTS_Q, hits)
    assert good > 0.7 > 0.3 > bad
    f = features("Báo cáo năm phải gửi trước ngày nào?", hits)
    assert f.agreement == 1.0 and f.coverage == pytest.approx(1.0)
    assert features("x", []).score() == 0.0


def test_calibrate_refusal_picks_a_separating_threshold():
    pairs = [(0.9, True), (0.8, True), (0.62, True), (0.55, False), (0.3, False), (0.1, False)]
    cal = calibrate_refusal(pairs)
    assert 0.55 < cal.threshold < 0.62
    assert cal.answer_recall == 1.0 and cal.refusal_recall == 1.0 and cal.balanced_accuracy == 1.0
    # Overlapping scores: ties go to the safer (higher) threshold; a low refusal weight answers more.
    overlapping = [(0.9, True), (0.6, True), (0.7, False), (0.2, False)]
    assert calibrate_refusal(overlapping).threshold == pytest.approx(0.8)
    assert calibrate_refusal(overlapping, refusal_weight=0.5).threshold == pytest.approx(0.4)
    with pytest.raises(ValueError):
        calibrate_refusal([(0.5, True)])


# ---------------------------------------------------------------- LLM output checking and fallback


def test_llm_answer_is_checked_renumbered_and_noted():
    raw = (
        "Theo kế hoạch, báo cáo năm gửi trước ngày 30/11/2020 [1]. Báo cáo quý gửi trước ngày 15/3/2020 [1]. "
        "Hội nghị trực tuyến ngày 17-12-2019 [2][8]."
    )
    answer = Answerer(FakeSearcher(REPORT_HITS), ScriptedBackend(raw)).answer("Báo cáo năm gửi khi nào?")
    assert answer.backend == "openai" and not answer.refused
    assert "15/3/2020" not in answer.answer and "[8]" not in answer.answer
    assert "Đã lược bỏ 1 câu" in answer.answer
    assert [c.n for c in answer.citations] == [1, 2]
    assert all(c.verified for c in answer.citations)
    for c in answer.citations:
        assert read_document(CORPUS / c.source)[c.start : c.end] == c.quote


def test_unverifiable_llm_answer_falls_back_to_extractive():
    raw = "Báo cáo năm phải gửi trước ngày 31/12/2021 [1]. Kết quả đạt 95% [2]."
    answer = Answerer(FakeSearcher(REPORT_HITS), ScriptedBackend(raw)).answer(
        "Báo cáo năm phải gửi trước ngày nào?"
    )
    assert answer.backend == "extractive" and answer.requested_backend == "openai"
    assert "31/12/2021" not in answer.answer and "30/11/2020" in answer.answer
    assert "không kiểm chứng được" in answer.answer
    assert answer.citations and all(c.verified for c in answer.citations)


def test_llm_answer_that_only_restates_the_question_falls_back_to_extractive():
    question = "Báo cáo năm phải gửi trước ngày nào?"
    raw = "Báo cáo năm phải gửi trước ngày [1]."  # true to the passage, and says nothing
    answer = Answerer(FakeSearcher(REPORT_HITS), ScriptedBackend(raw)).answer(question)
    assert answer.backend == "extractive" and "30/11/2020" in answer.answer
    assert answer.citations and all(c.verified for c in answer.citations)


def test_llm_refusal_is_a_refusal():
    answer = Answerer(FakeSearcher(REPORT_HITS), ScriptedBackend(REFUSAL)).answer("Báo cáo năm gửi khi nào?")
    assert answer.refused and answer.answer.startswith(REFUSAL) and not answer.citations


def test_backend_failure_falls_back_to_extractive():
    stream = Answerer(FakeSearcher(REPORT_HITS), BrokenBackend("")).stream(
        "Báo cáo năm phải gửi trước ngày nào?"
    )
    assert list(stream) == ["Báo cáo"]
    answer = stream.answer
    assert answer.backend == "extractive" and "30/11/2020" in answer.answer
    assert "ConnectionError" in answer.answer


# ---------------------------------------------------------------- factory, prompts, LangChain


def test_make_backend_by_name_and_settings(tmp_path):
    settings = Settings(cache_dir=tmp_path)
    assert make_backend(None, settings).name == "extractive"
    with pytest.raises(BackendUnavailable, match="make setup-llm"):
        make_backend("llamacpp", settings)
    with pytest.raises(BackendUnavailable, match="TRACUU_LLM_BASE_URL"):
        make_backend("openai", settings)
    with pytest.raises(BackendUnavailable):
        make_backend("gpt", settings)
    cfg = LlmConfig.from_settings(settings)
    assert cfg.model_path == tmp_path / "llm" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert cfg.temperature == 0.0 and cfg.threads == 2 and cfg.n_ctx == 4096
    openai = make_backend("openai", Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="m"))
    assert isinstance(openai, ChatBackend) and openai.name == "openai"


def test_prompt_template_carries_the_rules_and_numbered_passages(report_passages):
    messages = answer_prompt().format_messages(
        passages=format_passages(report_passages), question="Báo cáo năm gửi khi nào?"
    )
    system, user = messages[0].text, messages[1].text
    assert REFUSAL in system and "[1]" in system
    assert user.index("[1] ") < user.index("[2] ") < user.index("[3] ")
    assert "30/11/2020" in user and "Câu hỏi: Báo cáo năm gửi khi nào?" in user


def test_langchain_retriever_returns_documents_that_round_trip(report_passages):
    retriever = TracuuRetriever(searcher=FakeSearcher(REPORT_HITS), k=2)
    docs = retriever.invoke("Báo cáo năm gửi khi nào?")
    assert len(docs) == 2
    md = docs[0].metadata
    for key in ("chunk_id", "doc_id", "source", "start", "end", "title", "so_ky_hieu", "display_text"):
        assert key in md
    assert md["source"] == DOC0 and docs[0].page_content
    back = passages_from_documents(docs)
    assert [(p.n, p.chunk_id, p.start, p.display_text) for p in back] == [
        (p.n, p.chunk_id, p.start, p.display_text) for p in report_passages[:2]
    ]


# ---------------------------------------------------------------- real index of the sample corpus


@pytest.mark.slow
def test_real_index_answers_the_report_deadline(searcher):
    answer = Answerer(searcher).answer("Báo cáo năm phải gửi trước ngày nào?")
    assert not answer.refused and "30/11/2020" in answer.answer
    c = answer.citations[0]
    assert c.verified and c.doc_id.startswith("000") and "30/11/2020" in c.quote
    assert searcher.document_text(c.doc_id)[c.start : c.end] == c.quote


@pytest.mark.slow
def test_real_index_refuses_an_unrelated_question(searcher):
    answer = Answerer(searcher).answer(SPORTS_Q)
    assert answer.refused and answer.answer.startswith(REFUSAL) and not answer.citations
    assert "Các văn bản gần nhất" in answer.answer


@pytest.mark.slow
def test_real_index_answers_from_a_cited_footnote_quoted_exactly(searcher):
    question = (
        "Hội nghị trực tuyến quán triệt Chuyên đề năm 2020 ở Kiên Giang có bao nhiêu điểm cầu cấp huyện?"
    )
    hits = searcher.search(question, k=8)
    passages = passages_from_hits(hits, limit=5)
    noted = [p for p in passages if p.notes]
    assert noted, "a retrieved chunk cites the footnote"
    for p in noted:
        text = searcher.document_text(p.doc_id)
        assert all(text[s:e] == t for (s, e), t in p.notes)
        assert all(p.quote(span) == text[span[0] : span[1]] for span in p.note_sentences)
    assert "15 điểm cầu cấp huyện" in extract(question, passages)
    answer = Answerer(searcher).answer(question)
    assert "15 điểm cầu cấp huyện" in answer.answer
    assert answer.citations and all(c.verified for c in answer.citations)
    for c in answer.citations:
        assert searcher.document_text(c.doc_id)[c.start : c.end] == c.quote
    assert any("15 điểm cầu cấp huyện" in c.quote for c in answer.citations)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "name", "role"),
    [
        (
            "Ai ký kế hoạch của Mặt trận Tổ quốc tỉnh Kiên Giang về tham gia chuẩn bị "
            "Đại hội Đảng bộ các cấp?",
            "Phạm Thanh Hùng",
            "PHÓ CHỦ TỊCH",
        ),
        (
            "Ai ký Kế hoạch của Ban Thường vụ Tỉnh ủy Tuyên Quang thực hiện Thông báo kết luận 160 "
            "của Bộ Chính trị?",
            "Nguyễn Hồng Thắng",
            "PHÓ BÍ THƯ THƯỜNG TRỰC",
        ),
    ],
)
def test_real_index_answers_who_signed_with_the_name_quoted_exactly(searcher, question, name, role):
    assert profile(question).wants_signer
    answer = Answerer(searcher).answer(question)
    assert not answer.refused
    assert name in answer.answer and role in answer.answer
    assert answer.citations and all(c.verified for c in answer.citations)
    for c in answer.citations:
        assert searcher.document_text(c.doc_id)[c.start : c.end] == c.quote
    assert name in [c.quote for c in answer.citations]


def _extract_from(tmp_path, text: str, needle: str, question: str) -> str:
    """The extractive answer to ``question`` over one small file, read from ``needle`` on."""
    (tmp_path / "vb.txt").write_text(text, encoding="utf-8")
    hits = hits_from_needles(tmp_path, [("vb.txt", needle)], lines=9)
    return extract(question, passages_from_hits(hits))


def test_an_amount_question_is_answered_with_the_sentence_stating_the_amount(tmp_path):
    # the item's description repeats more of the question's words than the line with the amount
    question = "Mức chi khắc dấu phục vụ bầu cử là bao nhiêu?"
    assert profile(question).wants_amount and not profile("Có bao nhiêu đảng viên?").wants_amount
    text = _extract_from(
        tmp_path,
        "10. Chi hành chính phục vụ cho bầu cử:\n\n"
        "a) Nội dung chi, gồm: Chi khắc dấu bầu cử bổ sung (nếu có), chi bổ sung trang thiết bị hành chính"
        " phục vụ bầu cử, chi khác trực tiếp phục vụ cho bầu cử.\n\n"
        "b) Mức chi:\n\n- Chi khắc dấu: 400.000 đồng/dấu.\n\n- Chi khác: theo thực tế phát sinh.\n",
        "10. Chi hành chính",
        question,
    )
    assert text.startswith("Chi khắc dấu: 400.000 đồng/dấu"), text


def test_a_which_question_prefers_the_sentence_naming_a_numbered_one(tmp_path):
    question = "Luật sửa đổi 10 luật về an ninh, trật tự được bổ sung để Quốc hội thông qua ở kỳ họp nào?"
    assert profile(question).which == "ky hop" and profile("Báo cáo gửi trước ngày nào?").which == ""
    text = _extract_from(
        tmp_path,
        "Điều 1. Bổ sung dự án luật\n\n"
        "1. Luật sửa đổi, bổ sung một số điều của 10 luật có liên quan đến an ninh, trật tự được bổ sung"
        " vào chương trình để Quốc hội xem xét.\n\n"
        "2. Bổ sung vào Chương trình lập pháp năm 2025 trình Quốc hội thông qua tại Kỳ họp thứ 10"
        " (tháng 10/2025) theo trình tự, thủ tục rút gọn.\n",
        "Điều 1. Bổ sung",
        question,
    )
    assert "Kỳ họp thứ 10" in text.splitlines()[0], text  # the sentence naming it comes first


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("Chiều rộng 74mm, chiều dài 105mm", True),
        ("Có 05 thôn không được phân bổ chỉ tiêu", True),
        ("100% cán bộ được học tập", True),
        ("Theo đó, Thông tư 16/2024/TT-BCA quy định về quy cách, kích thước", False),  # a document number
        ("Kế hoạch số 427 - KH/TU ngày 10/9/2020", False),  # a number and a date
    ],
)
def test_a_question_for_a_quantity_prefers_a_sentence_stating_one(text, quantity):
    from retrieval.answer.extractive import _states_quantity
    from retrieval.answer.normalize import fold

    assert _states_quantity(fold(text)) is quantity


def test_a_sentence_that_only_names_the_body_is_no_answer():
    """ "Sở … cho học sinh nghỉ học ngày nào?": a school notice whose sentence names the same Sở (citing its
    letter on uniforms, with a date) covers more of the question's words than the Sở's own letter, but
    none of what it asks about; neither the answer nor a second document."""
    from retrieval.answer.passages import Passage
    from retrieval.answer.testing import make_hit

    letter = (
        "Số: 4144/GDĐT-VP về cho học sinh nghỉ học Ngày 26/11/2018 | "
        "Thành phố Hồ Chí Minh, ngày 25 tháng 11 năm 2018"
    )
    notice = (
        "Căn cứ công văn số 108/GDĐT-VP ngày 13/01/2016 của Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh "
        "về việc mặc áo dài."
    )
    hits = [
        make_hit(letter, "a_cong_van.txt", 0, len(letter), rank=1, doc_id="a"),
        make_hit(notice, "b_thong_bao.txt", 0, len(notice), rank=2, doc_id="b"),
    ]
    passages = [Passage.from_hit(i + 1, h) for i, h in enumerate(hits)]
    text = extract("Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh cho học sinh nghỉ học ngày nào?", passages)
    assert "26/11/2018" in text and "áo dài" not in text


def test_topic_of_a_question_leaves_out_the_names_it_gives():
    from retrieval.answer.extractive import topic_tokens

    topic = topic_tokens("Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh cho học sinh nghỉ học ngày nào?")
    assert {"hoc_sinh", "nghi"} <= topic and not topic & {"giao", "duc", "dao", "tao", "pho", "ngay"}
    assert {"bao_cao", "gui"} <= topic_tokens("Báo cáo 6 tháng phải gửi trước ngày nào?")
