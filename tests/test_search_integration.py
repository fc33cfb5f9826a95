"""End to end with real components: the sample plans parsed, embedded with the real e5 model,
indexed in real FAISS + bm25s (underthesea tokens), searched in every mode, and the CLI contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from retrieval.search import SearchFilters

pytestmark = pytest.mark.slow

DOC_000 = "000_7f24dc1676206cad"
DOC_001 = "001_a12b2318b784b2b4"
DOC_003 = "003_66380168433525af"
DOC_004 = "004_18ce676507074b40"


def _top_docs(hits, n=3):
    return [h.chunk.doc_id for h in hits[:n]]


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_annual_report_deadline(searcher, mode):
    hits = searcher.search("Báo cáo năm phải gửi trước ngày nào?", k=5, mode=mode)
    assert any("30/11/2020" in h.display_text for h in hits[:3]), [h.chunk.chunk_id for h in hits]


def test_unaccented_query_finds_the_same_passage(searcher):
    hits = searcher.search("bao cao nam gui truoc ngay nao", k=5)
    assert "30/11/2020" in " ".join(h.display_text for h in hits[:3])


def test_display_text_is_exact_source_text(searcher):
    for h in searcher.search("đăng ký tự giác làm theo", k=10):
        doc = searcher.document(h.chunk.doc_id)
        assert h.display_text == doc.text[h.chunk.start : h.chunk.end]
        for s, e in h.chunk.spans:
            assert h.chunk.start <= s < e <= h.chunk.end


@pytest.mark.parametrize(
    ("query", "doc"),
    [
        ("427-KH/TU", DOC_001),
        ("Kế hoạch 427 - KH/TU nói gì về Mặt trận", DOC_001),
        ("kế hoạch 37/KH-MTTQ-BTT", DOC_000),
        ("ke hoach 427", DOC_001),
    ],
)
def test_document_number_ranks_its_document_first(searcher, query, doc):
    hits = searcher.search(query, k=5)
    assert hits[0].chunk.doc_id == doc
    assert hits[0].metadata.so_ky_hieu in ("427-KH/TU", "37/KH-MTTQ-BTT")


def test_referenced_number_finds_mentions(searcher):
    hits = searcher.search("Chỉ thị 05", k=5)
    assert sum("05-CT/TW" in h.display_text or "05 -CT/TW" in h.display_text for h in hits) >= 3


def test_footnote_text_is_searchable_and_attached(searcher):
    hits = searcher.search("bao nhiêu điểm cầu cấp huyện", k=5)
    top = [h for h in hits if h.chunk.doc_id == DOC_004]
    assert top, _top_docs(hits, 5)
    assert any("15 điểm cầu cấp huyện" in f for h in top for f in h.chunk.footnotes)


def test_year_filter(searcher):
    hits = searcher.search(
        "tuyên truyền xây dựng Đảng", k=10, filters=SearchFilters(year_from=2023, year_to=2023)
    )
    assert hits and {h.chunk.doc_id for h in hits} == {DOC_003}
    hits = searcher.search(
        "tuyên truyền xây dựng Đảng", k=20, filters=SearchFilters(year_from=2020, year_to=2020)
    )
    assert DOC_003 not in {h.chunk.doc_id for h in hits}


def test_paraphrase_without_shared_words_dense_helps(searcher):
    # "xứ Trầm Hương" = Khánh Hòa; "bộ máy lập pháp" = Quốc hội: no content word shared with the passage.
    q = "Văn bản nào do bộ máy lập pháp thông qua cho phép xứ Trầm Hương áp dụng ưu đãi riêng?"
    docs = _top_docs(searcher.search(q, k=10, mode="hybrid"), 10)
    assert DOC_003 in docs


def test_cli_search_json_contract(sample_index, real_settings):
    env = dict(os.environ, TRACUU_CACHE_DIR=str(real_settings.cache_dir))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "retrieval.cli",
            "search",
            "Báo cáo năm phải gửi trước ngày nào?",
            "--k",
            "3",
            "--json",
            "--index-dir",
            str(sample_index),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=True,
        timeout=300,
    )
    data = json.loads(out.stdout)
    assert data["query"] == "Báo cáo năm phải gửi trước ngày nào?" and len(data["results"]) == 3
    r = data["results"][0]
    assert set(r) >= {
        "rank",
        "score",
        "chunk_id",
        "doc_id",
        "source",
        "text",
        "heading_path",
        "start",
        "end",
        "metadata",
    }
    assert set(r["metadata"]) == {
        "so_ky_hieu",
        "loai_van_ban",
        "co_quan_ban_hanh",
        "dia_danh",
        "ngay_ban_hanh",
        "trich_yeu",
        "nguoi_ky",
    }
    assert r["rank"] == 1 and r["source"].endswith(".txt") and isinstance(r["heading_path"], list)
    assert r["metadata"]["ngay_ban_hanh"] in (None, "2020-02-04", "2020-09-10", "2023-08-04")


def test_cli_missing_index_is_a_clear_error(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "retrieval.cli", "search", "abc", "--index-dir", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert out.returncode == 2 and "tracuu index" in out.stderr
