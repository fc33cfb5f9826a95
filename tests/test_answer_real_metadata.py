"""Metadata questions on real documents from outside the project (a vbpl page whose header is one
joined table row, library pages whose header block is the site's notice and whose signature block is
not recognised): the catalogue value is answered and cited where the document prints it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from retrieval.answer import Answerer
from retrieval.answer.passages import iso_to_vn

pytestmark = pytest.mark.slow
REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
FILES = ("vbpl_doc_000570.html", "md_f709d287088c57b7.md", "md_93cafb7b0f4df375.md")


@pytest.fixture(scope="module")
def real_searcher(tmp_path_factory, real_settings, real_embedder):
    if not (REAL / "docs").is_dir():
        pytest.skip("thiếu ../shared/corpus/real")
    from retrieval.indexer import build_index
    from retrieval.search import Searcher

    corpus = tmp_path_factory.mktemp("realmeta") / "docs"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(REAL / "docs" / name, corpus / name)
    index = corpus.parent / "index"
    report = build_index(corpus, index, real_settings, embedder=real_embedder)
    assert not report.failures, [f.line() for f in report.failures]
    return Searcher.load(index, real_settings, real_embedder)


def _gold() -> list[dict]:
    path = REAL / "gold_metadata.jsonl"
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["file"] in FILES]


QUESTIONS = {
    "nguoi_ky": "{loai} {so} do ai ký?",
    "co_quan_ban_hanh": "Cơ quan nào ban hành {loai} {so}?",
    "ngay_ban_hanh": "{loai} {so} được ban hành ngày nào?",
}


@pytest.mark.parametrize("field", sorted(QUESTIONS))
def test_field_is_answered_and_cited_where_the_document_prints_it(real_searcher, field):
    gold = _gold()
    assert len(gold) == len(FILES)
    answerer = Answerer(real_searcher)
    for g in gold:
        question = QUESTIONS[field].format(loai=g["loai_van_ban"], so=g["so_ky_hieu"])
        ans = answerer.answer(question)
        assert not ans.refused, (question, ans.answer)
        value = g[field] if field != "ngay_ban_hanh" else iso_to_vn(g[field])
        doc_id = Path(g["file"]).stem
        assert ans.citations and {c.doc_id for c in ans.citations} == {doc_id}, (question, ans.answer)
        text = real_searcher.document_text(doc_id)
        for c in ans.citations:
            assert c.verified and text[c.start : c.end] == c.quote
        quotes = " ".join(c.quote for c in ans.citations).lower()
        if field == "ngay_ban_hanh":
            d, m, y = value.split("/")
            assert y in quotes and (
                value in quotes or f"tháng {int(m)}" in quotes or f"tháng {m:0>2}" in quotes
            )
        else:  # a header may print the body over two lines ("ỦY BAN NHÂN DÂN" / "TỈNH CAO BẰNG")
            assert all(w in quotes.split() for w in value.lower().split()), (question, ans.answer)
        assert len(ans.answer.splitlines()) == len(set(ans.answer.splitlines())), ans.answer  # no repeats
