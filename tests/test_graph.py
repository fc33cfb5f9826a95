"""The reference graph: resolution of preamble references and body mentions, both directions.

Documents are the real sample plans (text read from corpus/) with DocMetadata constructed here, plus
documents built to stand for the family "a plan implementing another plan of the corpus"."""

from __future__ import annotations

from dataclasses import dataclass

from conftest import CORPUS

from retrieval.catalog.graph import build_graph, key_matches, mentions, number_key
from retrieval.ingest import load_document
from retrieval.types import DocMetadata


@dataclass(frozen=True)
class Doc:
    doc_id: str
    source: str
    title: str
    metadata: DocMetadata
    text: str


def _sample(stem: str, **md) -> Doc:
    raw = load_document(CORPUS / f"{stem}.txt", CORPUS)
    return Doc(stem, raw.source, md.pop("title", ""), DocMetadata(**md), raw.text)


def _samples() -> list[Doc]:
    return [
        _sample(
            "000_7f24dc1676206cad",
            so_ky_hieu="37/KH-MTTQ-BTT",
            loai_van_ban="Kế hoạch",
            co_quan_ban_hanh="Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Khánh Hòa",
            ngay_ban_hanh="2020-02-04",
        ),
        _sample(
            "001_a12b2318b784b2b4",
            so_ky_hieu="427-KH/TU",
            loai_van_ban="Kế hoạch",
            ngay_ban_hanh="2020-09-10",
        ),
        _sample("002_af1114e4e18dab81", title="Kế hoạch Mặt trận Tổ quốc tỉnh tham gia chuẩn bị Đại hội"),
        _sample("003_66380168433525af", loai_van_ban="Kế hoạch", ngay_ban_hanh="2023-08-04"),
        _sample("004_18ce676507074b40", loai_van_ban="Kế hoạch", co_quan_ban_hanh="Ban Thường vụ Tỉnh ủy"),
    ]


def test_number_keys_ignore_spacing_separators_and_leading_zeros():
    assert number_key("05 -CT/TW") == number_key("5-CT/TW") == "5-CT-TW"
    assert number_key("37/KH-MTTQ-BTT") == number_key("37-KH/MTTQ-BTT") == "37-KH-MTTQ-BTT"
    assert number_key("85/2015/QH13") == "85-2015-QH13"
    assert number_key("ngày 15/6/2020") is None
    assert key_matches("427-KH", "427-KH-TU") and not key_matches("42-KH", "427-KH-TU")


def test_dates_and_phone_like_numbers_are_not_document_numbers():
    found = mentions("x", "báo cáo 6 tháng gửi trước ngày 15/6/2020; nhiệm kỳ 2019 -2024; Chỉ thị 05 -CT/TW.")
    assert [r.key for r in found] == ["5-CT-TW"]


def test_every_sample_plan_that_cites_05_ct_tw_is_found_with_its_sentence():
    graph = build_graph(_samples())
    citing = graph.citing(number_key("05-CT/TW"))
    assert sorted(citing) == [
        "000_7f24dc1676206cad",
        "002_af1114e4e18dab81",
        "003_66380168433525af",
        "004_18ce676507074b40",
    ]
    text = {d.doc_id: d.text for d in _samples()}
    for doc_id, refs in citing.items():
        for r in refs:
            assert number_key(text[doc_id][r.span[0] : r.span[1]]) == "5-CT-TW"
            assert r.target is None  # not in the corpus: an external reference


def test_preamble_references_keep_type_issuer_and_date_as_cited():
    graph = build_graph(_samples())
    pre = graph.implements("003_66380168433525af")
    assert [(r.number, r.doc_type, r.date) for r in pre] == [
        ("6361/MTTW-BTT", "Công văn", "2023-05-18"),
        ("159-KH/TU", "Kế hoạch", "2023-07-05"),
    ]
    assert pre[1].issuer == "Tỉnh ủy Khánh Hòa"
    assert [r.number for r in graph.implements("004_18ce676507074b40")] == ["108-HD/BTGTW"]


def test_declared_references_count_as_preamble_even_when_cited_in_the_body():
    docs = _samples()
    docs[4] = Doc(docs[4].doc_id, docs[4].source, "", DocMetadata(references=("35-NQ/TW",)), docs[4].text)
    graph = build_graph(docs)
    assert "35-NQ/TW" in [r.number for r in graph.implements("004_18ce676507074b40")]
    assert "004_18ce676507074b40" in graph.citing("35-NQ-TW", preamble_only=True)


def test_references_resolve_to_corpus_documents_in_both_directions():
    # a commune plan implementing the provincial plan 37/KH-MTTQ-BTT by number, and another one citing it
    # only by type + date + issuer, as drafts often do
    by_number = Doc(
        "xa_1",
        "xa_1.txt",
        "",
        DocMetadata(so_ky_hieu="05/KH-MTTQ", loai_van_ban="Kế hoạch", ngay_ban_hanh="2020-03-01"),
        "Thực hiện Kế hoạch số 37/KH-MTTQ-BTT ngày 04/02/2020 của Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh "
        "Khánh Hòa, Ban Thường trực xã xây dựng kế hoạch như sau:\n\nI. MỤC ĐÍCH\n\nNội dung.",
    )
    numberless = Doc(
        "xa_2",
        "xa_2.txt",
        "",
        DocMetadata(loai_van_ban="Kế hoạch", ngay_ban_hanh="2020-03-05"),
        "Căn cứ Kế hoạch ngày 04/02/2020 của Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Khánh Hòa về học tập "
        "chuyên đề năm 2020, Ban Thường trực phường xây dựng kế hoạch:\n\nI. MỤC ĐÍCH\n\nNội dung.",
    )
    graph = build_graph([*_samples(), by_number, numberless])
    assert [r.target for r in graph.implements("xa_1")] == ["000_7f24dc1676206cad"]
    assert [r.target for r in graph.implements("xa_2")] == ["000_7f24dc1676206cad"]
    assert sorted(graph.implemented_by("000_7f24dc1676206cad")) == ["xa_1", "xa_2"]
    assert set(graph.citing("37-KH-MTTQ-BTT")) == {"xa_1", "xa_2"}  # never the document itself


def test_catalogue_entries_carry_year_and_province_even_without_a_header():
    graph = build_graph(_samples())
    e = graph.entries
    assert (e["000_7f24dc1676206cad"].year, e["000_7f24dc1676206cad"].province) == (2020, "Khánh Hòa")
    # a fragment with no header: year and province from its text ("tỉnh Kiên Giang", dates of 2020)
    assert (e["002_af1114e4e18dab81"].year, e["002_af1114e4e18dab81"].province) == (2020, "Kiên Giang")
    assert e["002_af1114e4e18dab81"].year_inferred
    assert e["004_18ce676507074b40"].year == 2020 and e["004_18ce676507074b40"].province == "Kiên Giang"
