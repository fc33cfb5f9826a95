"""Hard-wrapped text (PDF text layers, web copies keeping their source's line breaks): a sentence cut
into lines is one paragraph for the parser and one quoted sentence for the answer."""

from __future__ import annotations

import hashlib

from retrieval.answer.passages import Passage, split_sentences
from retrieval.chunking import chunk_document
from retrieval.document.wraps import continues, text_width, wrap_width
from retrieval.structure import parse_document
from retrieval.types import DocMetadata, RawDocument, SearchHit

# A court record's paragraph as a PDF text layer gives it: cut at ~75 characters, a cut before a
# person's name (a capital) and one after "~".
WRAPPED = (
    "Bị đơn là bà Trần Thị M trình bày:\n"
    "Bà thừa nhận đã ký hợp đồng tín dụng và các phụ lục hợp đồng với Ngân hàng, đồng\n"
    "thời xác nhận số tiền còn nợ tính đến ngày xét xử như Ngân hàng đã trình bày.\n"
    "Tuy nhiên, căn nhà đang thế chấp tại Ngân hàng do bà nhận chuyển nhượng của ông\n"
    "Lê Văn P, bà Đỗ Thị Q vào năm 2010 với giá 2.300.000.000 đồng, thanh toán trước ~\n"
    "1.500.000.000 đồng. Hai bên đã làm thủ tục chuyển nhượng đầy đủ theo quy định của\n"
    "pháp luật và bà đã đứng tên trên giấy chứng nhận quyền sử dụng đất ở đối với nhà.\n"
    "Ông P, bà Q cho rằng bà M chưa trả đủ tiền nên yêu cầu hủy hợp đồng chuyển nhượng\n"
    "và trả lại số tiền đã nhận; Ngân hàng không đồng ý với yêu cầu của ông P, bà Q.\n"
)
HEAD = (
    "ỦY BAN NHÂN DÂN TỈNH AN GIANG\nSố: 12/QĐ-UBND\nLong Xuyên, ngày 03 tháng 02 năm 2020\n"
    "QUYẾT ĐỊNH\nVề việc giải quyết khiếu nại của bà Trần Thị M\n\nI. NỘI DUNG KHIẾU NẠI\n"
)


def test_wrap_width_tells_wrapped_lines_from_paragraphs() -> None:
    assert 75 <= text_width(WRAPPED) <= 85
    paragraphs = [len("x" * n) for n in (40, 320, 180, 95, 600, 250, 30, 410)]
    assert wrap_width(paragraphs) == 0
    assert wrap_width([78, 80, 79]) == 0  # too few lines to say


def test_continues_rules() -> None:
    w = 80
    assert continues("Căn cứ Luật Tổ chức chính quyền địa", "phương ngày 19 tháng 6 năm 2015;")
    assert continues("… tại Ngân hàng do bà nhận chuyển nhượng của ông" + "x" * 30, "Lê Văn P, …", w)
    assert not continues("Tuy nhiên, căn nhà của ông", "Lê Văn P", w)  # a short line: not cut by the wrap
    assert not continues("Tuy nhiên, căn nhà của ông" + "x" * 60, "Lê Văn P", 0)  # text not hard-wrapped
    assert not continues("I. MỤC ĐÍCH, YÊU CẦU CỦA KẾ HOẠCH TRIỂN KHAI CÔNG TÁC NĂM 2025 TOÀN TỈNH", "Tạo", w)
    assert not continues("a" * 70 + " đã nhận.", "Ông P cho rằng", w)  # the sentence ended
    assert not continues("a" * 70 + " gồm", "- Sở Tài chính;", w)  # a list item starts
    assert not continues("Nơi nhận:", "các sở, ngành")
    row = "BỘ TÀI CHÍNH | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"
    assert not continues(row, "Số: 1/TT-BTC", w)  # a table row stands alone


def test_parser_joins_a_sentence_cut_before_a_capital() -> None:
    text = HEAD + WRAPPED
    raw = RawDocument("an_le.pdf", text, hashlib.sha256(text.encode()).hexdigest(), "pdf")
    blocks = [b.text for b in parse_document(raw, "d").blocks]
    assert any(
        b.startswith("Tuy nhiên, căn nhà") and "Lê Văn P, bà Đỗ Thị Q" in b and "1.500.000.000 đồng." in b
        for b in blocks
    ), blocks


def _passage(text: str) -> Passage:
    raw = RawDocument("an_le.pdf", text, hashlib.sha256(text.encode()).hexdigest(), "pdf")
    chunk = next(c for c in chunk_document(parse_document(raw, "d")) if "2.300.000.000" in c.text)
    hit = SearchHit(1, 1.0, chunk, text[chunk.start : chunk.end], DocMetadata(), "Bản án")
    return Passage.from_hit(1, hit)


def test_passage_sentences_span_wrapped_lines() -> None:
    p = _passage(HEAD + WRAPPED)
    quotes = [p.quote(s) for s in p.sentences]
    whole = next(q for q in quotes if q.startswith("Tuy nhiên"))
    assert whole.endswith("1.500.000.000 đồng.")
    assert "ông\nLê Văn P" in whole  # the document's own text, offsets unchanged
    assert p.inline(p.sentences[quotes.index(whole)]).count("\n") == 0
    assert any(q.startswith("Bà thừa nhận") and q.endswith("đã trình bày.") for q in quotes)


def test_split_sentences_without_wraps_keeps_line_breaks() -> None:
    """An answer being checked, or a text that is not wrapped, still breaks at every line."""
    spans = split_sentences("Người ký: Lê Văn A [1]\nchức vụ: Chủ tịch [1]")
    assert len(spans) == 2


def test_signature_authority_abbreviations_do_not_end_a_sentence() -> None:
    """ "TM. CHÍNH PHỦ", "KT. CHỦ TỊCH": the period of the authority is no sentence end (the citation
    marker of a joint resolution's signature line stayed after "TM")."""
    text = "TM. ĐOÀN CHỦ TỊCH CHỦ TỊCH Lê Văn A | TM. CHÍNH PHỦ THỦ TƯỚNG Trần Văn B [1]"
    assert len(split_sentences(text, clauses=False)) == 1
    assert len(split_sentences("KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn C")) == 1
