"""Follow-up questions made standalone (retrieval/answer/followup.py): real phrasings, with and
without diacritics; history JSON; the LLM fallback with a scripted model; the CLI option."""

from __future__ import annotations

import pytest

from retrieval.answer.followup import (
    HistoryTurn,
    mentions,
    rewrite_followup,
    swap_mentions,
    turns_from_json,
)

COMPARE_Q = "So sánh kế hoạch chuyên đề năm 2020 của Tỉnh ủy Kiên Giang và của MTTQ Khánh Hòa"
DEADLINE_Q = "Kế hoạch chuyên đề năm 2020 của MTTQ Khánh Hòa yêu cầu báo cáo năm gửi trước ngày nào?"
PLAN_Q = "Kế hoạch 427-KH/TU có mục đích gì?"
TT_Q = "Kế hoạch thông tin tuyên truyền năm 2023 của MTTQ Khánh Hòa có nội dung gì?"


def rw(prev: str, q: str, **kw):
    return rewrite_followup(q, [HistoryTurn(prev, **kw)])


def test_follow_up_after_a_comparison_replaces_the_second_document():
    r = rw(COMPARE_Q, "Còn kế hoạch của MTTQ Khánh Hòa năm 2023 thì sao?")
    assert r.rule == "so_sanh"
    assert r.question == (
        "So sánh kế hoạch chuyên đề năm 2020 của Tỉnh ủy Kiên Giang và kế hoạch của MTTQ Khánh Hòa năm 2023"
    )


@pytest.mark.parametrize(
    "follow_up,expected",
    [
        (
            "còn năm 2023?",
            "Kế hoạch chuyên đề năm 2023 của MTTQ Khánh Hòa yêu cầu báo cáo năm gửi trước ngày nào?",
        ),
        ("Còn năm 2023 thì sao?", "Kế hoạch chuyên đề năm 2023 của MTTQ Khánh Hòa yêu cầu báo cáo năm gửi"),
        ("con nam 2023 thi sao", "Kế hoạch chuyên đề năm 2023 của MTTQ"),
        ("Năm 2023 thì sao?", "Kế hoạch chuyên đề năm 2023 của MTTQ Khánh Hòa"),
        ("Còn Tỉnh ủy Kiên Giang thì sao?", "Kế hoạch chuyên đề năm 2020 của Tỉnh ủy Kiên Giang yêu cầu"),
        ("con tinh uy Kien Giang?", "năm 2020 của tinh uy Kien Giang yêu cầu"),
    ],
)
def test_con_thi_sao_swaps_the_year_body_or_province(follow_up, expected):
    r = rw(DEADLINE_Q, follow_up)
    assert r.rule == "con_thi_sao" and r.changed
    assert expected in r.question


def test_unaccented_history_and_follow_up():
    prev = "ke hoach chuyen de nam 2020 cua MTTQ Khanh Hoa yeu cau bao cao nam gui truoc ngay nao"
    r = rw(prev, "con nam 2023 thi sao")
    assert (
        r.question == "ke hoach chuyen de nam 2023 cua MTTQ Khanh Hoa yeu cau bao cao nam gui truoc ngay nao"
    )


@pytest.mark.parametrize(
    "follow_up,expected",
    [
        ("Kế hoạch đó do ai ký?", "Kế hoạch 427-KH/TU do ai ký?"),
        ("ke hoach do do ai ky?", "Kế hoạch 427-KH/TU do ai ky?"),
        ("Văn bản này ban hành ngày nào?", "Kế hoạch 427-KH/TU ban hành ngày nào?"),
        ("Ai ký văn bản trên?", "Ai ký Kế hoạch 427-KH/TU?"),
    ],
)
def test_pronouns_take_the_previous_document(follow_up, expected):
    r = rw(PLAN_Q, follow_up)
    assert (r.rule, r.question) == ("dai_tu", expected)


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Kế hoạch do ai ký?", "Kế hoạch 427-KH/TU do ai ký?"),
        ("ke hoach do ai ky?", "Kế hoạch 427-KH/TU do ai ky?"),
        ("Văn bản do cơ quan nào ban hành?", "Kế hoạch 427-KH/TU do cơ quan nào ban hành?"),
    ],
)
def test_do_meaning_by_is_not_a_pronoun_but_the_bare_document_is_carried(question, expected):
    r = rw(PLAN_Q, question)
    assert (r.rule, r.question) == ("luoc_chu_ngu", expected)


def test_pronoun_prefers_the_document_the_previous_answer_cited():
    r = rw("Báo cáo năm phải gửi trước ngày nào?", "Văn bản đó do ai ký?", documents=("37/KH-MTTQ-BTT",))
    assert r.question == "37/KH-MTTQ-BTT do ai ký?"


def test_elided_subject_and_new_aspect_carry_the_previous_document():
    r = rw(TT_Q, "Do ai ký?")
    assert (r.rule, r.question) == (
        "luoc_chu_ngu",
        "Kế hoạch thông tin tuyên truyền năm 2023 của MTTQ Khánh Hòa do ai ký?",
    )
    r = rw(TT_Q, "Còn hình thức tuyên truyền thì sao?")
    assert r.question == (
        "Hình thức tuyên truyền của kế hoạch thông tin tuyên truyền năm 2023 của MTTQ Khánh Hòa như thế nào?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "Báo cáo năm phải gửi trước ngày nào?",
        "Kế hoạch của Tỉnh ủy Tuyên Quang về Kết luận 160 có mục đích gì?",
        "Hình thức học tập chủ yếu của chuyên đề năm 2020 là gì?",
        "Báo cáo gửi khi nào?",  # a report the plan asks for, not the plan
    ],
)
def test_standalone_questions_are_left_alone(question):
    r = rw(TT_Q, question)
    assert r.question == question and r.rule is None and not r.changed


def test_no_history_no_change_and_chained_follow_ups_use_the_rewritten_question():
    assert rewrite_followup("còn năm 2023?", []).question == "còn năm 2023?"
    first = rw(DEADLINE_Q, "còn năm 2023?")
    second = rewrite_followup(
        "Còn Tỉnh ủy Kiên Giang thì sao?",
        [HistoryTurn(DEADLINE_Q), HistoryTurn("còn năm 2023?", rewritten_question=first.question)],
    )
    assert second.question.startswith("Kế hoạch chuyên đề năm 2023 của Tỉnh ủy Kiên Giang")


def test_mentions_and_swap():
    kinds = [
        (m.kind, m.text)
        for m in mentions("Kế hoạch số 427-KH/TU năm 2020 của Ban Thường vụ Tỉnh ủy Tuyên Quang")
    ]
    assert kinds == [
        ("code", "số 427-KH/TU"),
        ("year", "năm 2020"),
        ("body", "Ban Thường vụ Tỉnh ủy"),
        ("place", "Tuyên Quang"),
    ]
    assert swap_mentions("Báo cáo năm gửi trước ngày nào?", mentions("năm 2023")) == (
        "Báo cáo năm gửi trước ngày nào năm 2023?"
    )


def test_llm_rewrites_only_what_the_rules_leave():
    calls = []

    def llm(prev, q):
        calls.append((prev, q))
        return "Câu hỏi đầy đủ do mô hình viết?\nGiải thích thêm"

    hist = [HistoryTurn("Báo cáo năm phải gửi trước ngày nào?")]
    r = rewrite_followup("Còn cái đó thì sao?", hist, llm)  # no entity, no document to carry: the model
    assert (r.rule, r.question) == ("llm", "Câu hỏi đầy đủ do mô hình viết? Giải thích thêm")
    assert rewrite_followup("Báo cáo quý gửi khi nào cho cơ quan nào?", hist, llm).rule is None
    assert len(calls) == 1


def test_history_json_shapes():
    turns = turns_from_json(
        [
            {"question": "q1", "answer": "a1", "citations": [{"metadata": {"so_ky_hieu": "37/KH-MTTQ-BTT"}}]},
            {"question": "q2", "rewritten_question": "q2 đầy đủ"},
        ]
    )
    assert turns[0].documents == ("37/KH-MTTQ-BTT",) and turns[1].rewritten_question == "q2 đầy đủ"
    for bad in ({"question": "x"}, [{"answer": "a"}], ["x"]):
        with pytest.raises(ValueError, match="lịch sử"):
            turns_from_json(bad)


@pytest.mark.slow
def test_cli_and_chat_answer_a_follow_up_with_their_history(sample_index, searcher, tmp_path):
    import json

    from typer.testing import CliRunner

    from retrieval.answer.extractive import ExtractiveBackend
    from retrieval.cli import app
    from retrieval.ui.answering import Turn, ask
    from retrieval.ui.corpus import ChunkLookup

    history = tmp_path / "history.json"
    history.write_text(
        json.dumps([{"question": DEADLINE_Q, "answer": "…"}], ensure_ascii=False), encoding="utf-8"
    )
    runner = CliRunner()
    args = ["ask", "còn năm 2023?", "--json", "--history", str(history), "--index-dir", str(sample_index)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["question"] == "còn năm 2023?"
    assert data["rewritten_question"].startswith("Kế hoạch chuyên đề năm 2023 của MTTQ Khánh Hòa")
    history.write_text("{", encoding="utf-8")
    bad = runner.invoke(app, ["ask", "x", "--history", str(history), "--index-dir", str(sample_index)])
    assert bad.exit_code == 2 and "history.json" in bad.output and "JSON" in bad.output

    lookup = ChunkLookup(searcher.chunks)
    first = [p for p in ask(searcher, ExtractiveBackend(), lookup, PLAN_Q) if isinstance(p, Turn)][-1]
    assert first.rewritten_question is None
    second = [
        p
        for p in ask(searcher, ExtractiveBackend(), lookup, "Kế hoạch đó do ai ký?", history=[first.record()])
        if isinstance(p, Turn)
    ][-1]
    assert second.rewritten_question == "Kế hoạch 427-KH/TU do ai ký?"
    assert any("Câu hỏi được hiểu là" in n for n in second.notes)
    # the answer is searched for the rewritten question: it cites the plan the first turn was about
    assert not second.refused
    assert {c["doc_id"] for c in second.citations} == {"001_a12b2318b784b2b4"}
