"""Plan series (retrieval/catalog/series.py): on the sample plans parsed from corpus/, on the real
documents' hand-written metadata, and on synthetic metadata of yearly series."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.catalog.series import (
    body_family,
    doc_year,
    level,
    link_series,
    profile,
    same_series,
    series_of,
    subject_key,
)
from retrieval.ingest import load_document
from retrieval.structure import parse_document
from retrieval.types import DocMetadata

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
GOLD = ROOT.parent / "shared" / "corpus" / "real" / "gold_metadata.jsonl"
MTTQ_KH = "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Khánh Hòa"
TU_KH = "Ban Thường vụ Tỉnh ủy Khánh Hòa"


def md(co_quan, date, trich_yeu, **kw) -> DocMetadata:
    return DocMetadata(co_quan_ban_hanh=co_quan, ngay_ban_hanh=date, trich_yeu=trich_yeu, **kw)


@pytest.fixture(scope="module")
def sample():
    out = []
    for p in sorted(CORPUS.glob("*.txt")):
        doc = parse_document(load_document(p, CORPUS), p.stem)
        out.append((doc.doc_id, doc.metadata, doc.title))
    return out


def test_sample_plans_profiles(sample):
    prof = {d: profile(d, m, t) for d, m, t in sample}
    mttq_2020, tu_2020, mttq_2023 = (
        prof[k] for k in ("000_7f24dc1676206cad", "004_18ce676507074b40", "003_66380168433525af")
    )
    assert (mttq_2020.family, mttq_2020.year, mttq_2020.province) == ("mttq", 2020, "Khánh Hòa")
    assert (tu_2020.family, tu_2020.year) == ("dang_uy", 2020)  # year from "Chuyên đề năm 2020"
    assert (mttq_2023.family, mttq_2023.year) == ("mttq", 2023)
    assert {"chuyen", "de"} <= set(mttq_2020.key) and {"chuyen", "de"} <= set(tu_2020.key)
    assert not same_series(mttq_2020, tu_2020)  # one subject, two bodies
    assert not same_series(mttq_2020, mttq_2023)  # one body, two subjects
    assert link_series(sample) == []


def test_real_documents_metadata_makes_no_false_series():
    if not GOLD.is_file():
        pytest.skip("shared real documents not present")
    docs = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        src = d.pop("file", None) or d.pop("source", "")
        docs.append((src, DocMetadata.from_json(d), ""))
    # One commune Front committee's 2025-26 election plans: one body, different subjects.
    assert link_series(docs) == []


def test_yearly_topic_series_with_changing_quoted_themes():
    docs = [
        ("a21", md(MTTQ_KH, "2021-03-01", "Học tập chuyên đề năm 2021 “Học tập và làm theo tư tưởng”")),
        (
            "a20",
            md(
                MTTQ_KH,
                "2020-02-04",
                "Học tập và thực hiện chuyên đề năm 2020 “Tăng cường khối đại đoàn kết”",
            ),
        ),
        ("a22", md(MTTQ_KH, "2022-02-10", "học tập chuyên đề năm 2022 “Phát huy sức mạnh”")),
        (
            "t20",
            md(
                TU_KH, "2020-01-15", "triển khai, thực hiện Chuyên đề năm 2020 “Tăng cường khối đại đoàn kết”"
            ),
        ),
        ("t21", md(TU_KH, "2021-01-20", "triển khai, thực hiện Chuyên đề năm 2021 “Học tập và làm theo”")),
        ("x", md(MTTQ_KH, "2023-08-04", "thông tin, tuyên truyền về công tác xây dựng Đảng năm 2023")),
    ]
    series = link_series((d, m, "") for d, m in docs)
    assert [s.doc_ids for s in series] == [("a20", "a21", "a22"), ("t20", "t21")]
    assert series[0].years == (2020, 2021, 2022) and series[0].family == "mttq"
    assert series_of("a21", series) is series[0] and series_of("x", series) is None


def test_yearly_propaganda_and_inspection_series_but_not_across_provinces_or_levels():
    tt = "thông tin, tuyên truyền về công tác xây dựng Đảng, xây dựng hệ thống chính trị tỉnh {p} năm {y}"
    docs = [
        ("kh23", md(MTTQ_KH, "2023-08-04", tt.format(p="Khánh Hòa", y=2023))),
        ("kh24", md(MTTQ_KH, "2024-07-30", tt.format(p="Khánh Hòa", y=2024))),
        (
            "kg24",
            md(
                "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Kiên Giang",
                "2024-05-02",
                tt.format(p="Kiên Giang", y=2024),
            ),
        ),
        ("ktgs24", md("Ủy ban Kiểm tra Tỉnh ủy Tuyên Quang", "2024-01-05", "kiểm tra, giám sát năm 2024")),
        (
            "ktgs25",
            md(
                "Ủy ban Kiểm tra Tỉnh ủy Tuyên Quang",
                "2025-01-08",
                "Kiểm tra, giám sát của Ủy ban Kiểm tra Tỉnh ủy năm 2025",
            ),
        ),
        (
            "huyen25",
            md(
                "Ban Thường vụ Huyện ủy Sơn Dương",
                "2025-01-09",
                "kiểm tra, giám sát năm 2025",
                tinh="Tuyên Quang",
            ),
        ),
    ]
    got = {s.doc_ids for s in link_series((d, m, "") for d, m in docs)}
    assert got == {("kh23", "kh24"), ("ktgs24", "ktgs25")}


def test_same_body_different_subjects_and_same_year_are_not_a_series():
    body = "Ban Thường trực Ủy ban MTTQ Việt Nam xã Lương Minh"
    tail = " phục vụ bầu cử đại biểu Quốc hội khóa XVI và đại biểu Hội đồng nhân dân các cấp"
    a = profile("a", md(body, "2025-12-10", "Tiếp công dân, xử lý đơn thư khiếu nại, tố cáo" + tail))
    b = profile("b", md(body, "2026-01-05", "Mặt trận Tổ quốc xã tham gia công tác bầu cử" + tail))
    assert not same_series(a, b)
    c = profile("c", md(MTTQ_KH, "2024-03-01", "kiểm tra, giám sát năm 2024"))
    d = profile("d", md(MTTQ_KH, "2024-09-01", "kiểm tra, giám sát năm 2024"))
    assert not same_series(c, d)


@pytest.mark.parametrize(
    "co_quan,code,family,lvl",
    [
        ("Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Khánh Hòa", None, "mttq", "tinh"),
        ("Ban Thường vụ Tỉnh ủy", None, "dang_uy", "tinh"),
        ("BAN THƯỜNG VỤ HUYỆN ỦY", None, "dang_uy", "huyen"),
        ("Ủy ban nhân dân xã Phố Bảng", None, "ubnd", "xa"),
        ("Hội đồng nhân dân tỉnh Quảng Ninh", None, "hdnd", "tinh"),
        ("Chính phủ", None, "chinh_phu", "trung_uong"),
        (None, "427-KH/TU", "dang_uy", None),
        (None, "37/KH-MTTQ-BTT", "mttq", None),
        ("Cục Hải quan", "39305/TB-CHQ", None, None),
    ],
)
def test_body_family_and_level(co_quan, code, family, lvl):
    assert body_family(co_quan, code) == family
    assert level(co_quan) == lvl


def test_subject_key_drops_years_numbers_places_quotes_and_bodies():
    m = md(
        MTTQ_KH,
        None,
        "thông tin, tuyên truyền về công tác xây dựng Đảng tỉnh Khánh Hòa năm 2023 "
        "theo Kết luận số 21-KL/TW ngày 25/10/2021 “chỉnh đốn Đảng”",
    )
    key = subject_key(m)
    assert key[:4] == ("thong", "tin", "tuyen", "truyen")
    assert not {"khanh", "hoa", "nam", "chinh", "don"} & set(key)
    assert doc_year(m) == 2023  # no date of issue: the year the trích yếu names
