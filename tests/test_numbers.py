"""Document numbers named in a question match the số/ký hiệu however they are typed."""

from __future__ import annotations

import pytest

from retrieval.query import loose_key, number_refs
from retrieval.search import _mention_key, _mention_keys
from retrieval.types import Chunk


@pytest.mark.parametrize(
    ("question", "so_ky_hieu"),
    [
        ("Kế hoạch 37/KH-MTTQ-BTT do ai ký?", "37-KH/MTTQ-BTT"),
        ("Ai ký kế hoạch số 427 - KH/TU?", "427-KH/TU"),
        ("Nghị quyết 99/2025/NQ-HĐND ban hành ngày nào?", "99/2025/NQ-HĐND"),
        ("nghi quyet 99/2025/NQ-HDND ban hanh ngay nao", "99/2025/NQ-HĐND"),
        ("Luật 72/2025/QH15 có hiệu lực khi nào?", "72/2025/QH15"),
        ("Chỉ thị 05 -CT/TW nói gì?", "05-CT/TW"),
        ("Nghị định 43/NĐ-CP", "43/ND-CP"),
    ],
)
def test_typed_number_matches_the_printed_one(question, so_ky_hieu):
    refs = number_refs(question)
    assert refs and any(r.matches(so_ky_hieu) for r in refs), [(r.number, r.full) for r in refs]


def test_different_numbers_do_not_match():
    (ref,) = number_refs("Nghị quyết 99/2025/NQ-HĐND")
    assert not ref.matches("99/2024/NQ-HĐND")
    assert not ref.matches("98/2025/NQ-HĐND")
    assert loose_key("37/KH-MTTQ-BTT") == loose_key("37-KH/MTTQ-BTT") != loose_key("37-KH/TU")


def test_mentions_with_a_year_and_term_number_are_posted_under_the_question_key():
    text = "Căn cứ Nghị quyết số 99/2025/NQ-HĐND và Luật số 72/2025/QH15 của Quốc hội"
    chunk = Chunk("d#0", "d", "d.txt", (), 0, len(text), ((0, len(text)),), text)
    keys = _mention_keys(chunk.text)
    for q in ("Nghị quyết 99/2025/NQ-HĐND", "Luật 72/2025/QH15"):
        (ref,) = number_refs(q)
        assert _mention_key(ref.number, ref.initials) in keys
        assert ref.pattern().search(text)
