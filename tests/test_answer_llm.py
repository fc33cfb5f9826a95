"""The `llamacpp` backend with the real local GGUF (Qwen2.5-Coder-1.5B-Instruct Q4_K_M).

About 15 s per answer on 2 idle cores. Skipped only when the model (or llama-cpp-python) is missing
AND the CI variable is unset; in CI they run, so a missing `make setup-llm` fails loudly.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from retrieval.answer import Answerer, make_backend
from retrieval.answer.backends import LlmConfig
from retrieval.answer.citations import check_answer
from retrieval.answer.result import REFUSAL
from retrieval.answer.testing import hits_from_needles, read_document
from retrieval.settings import Settings

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NEEDLES = [
    ("000_7f24dc1676206cad.txt", "- Báo cáo kết quả thực hiện chuyên đề năm 2020"),
    ("004_18ce676507074b40.txt", "Sau hội nghị cấp tỉnh"),
]
SETTINGS = Settings.from_env()
MODEL = LlmConfig.from_settings(SETTINGS).model_path
_missing = [
    what
    for what, ok in (
        (f"model file {MODEL}", MODEL.is_file()),
        ("llama-cpp-python", importlib.util.find_spec("llama_cpp") is not None),
    )
    if not ok
]

pytestmark = [
    pytest.mark.llm,
    pytest.mark.skipif(
        bool(_missing) and not os.environ.get("CI"),
        reason=f"local LLM not installed ({', '.join(_missing)}); run `make setup-llm`",
    ),
]


class FakeSearcher:
    def __init__(self) -> None:
        self.hits = hits_from_needles(CORPUS, NEEDLES, lines=4)

    def search(self, query, k=10, mode="hybrid", filters=None):
        return self.hits[:k]


@pytest.fixture(scope="module")
def backend():
    return make_backend("llamacpp", SETTINGS)


def assert_exact_and_verified(answer) -> None:
    for c in answer.citations:
        assert c.verified
        assert read_document(CORPUS / c.source)[c.start : c.end] == c.quote


def test_llamacpp_streams_a_checked_answer_with_the_deadline(backend):
    stream = Answerer(FakeSearcher(), backend).stream("Báo cáo năm phải gửi trước ngày nào?")
    pieces = list(stream)
    assert len(pieces) > 1  # tokens as they come
    answer = stream.answer
    assert not answer.refused
    assert "30/11/2020" in answer.answer
    assert answer.citations and any("30/11/2020" in c.quote for c in answer.citations)
    assert_exact_and_verified(answer)


def test_llamacpp_never_shows_an_unverified_citation_for_a_question_the_passages_cannot_answer(backend):
    answerer = Answerer(FakeSearcher(), backend, refusal_threshold=0.0)  # force the LLM to try
    answer = answerer.answer("Ai là huấn luyện viên trưởng đội tuyển bóng đá quốc gia?")
    assert answer.refused or answer.citations
    if answer.refused:
        assert answer.answer.startswith(REFUSAL)
    assert_exact_and_verified(answer)


def test_llamacpp_chat_model_in_a_langchain_chain(backend):
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.runnables import RunnableLambda

    from retrieval.answer.prompting import answer_prompt, format_passages
    from retrieval.answer.retriever import TracuuRetriever, passages_from_documents

    retriever = TracuuRetriever(searcher=FakeSearcher(), k=2)
    docs = retriever.invoke("Báo cáo 6 tháng gửi trước ngày nào?")
    passages = passages_from_documents(docs)
    chain = (
        {
            "passages": RunnableLambda(lambda _q: format_passages(passages)),
            "question": RunnableLambda(lambda q: q),
        }
        | answer_prompt()
        | backend.chat_model
        | StrOutputParser()
    )
    text = chain.invoke("Báo cáo 6 tháng gửi trước ngày nào?")
    assert text.strip()
    checked = check_answer(text, passages)
    assert checked.refused or all(c.verified for c in checked.citations)
