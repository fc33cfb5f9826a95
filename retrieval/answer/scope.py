"""Scope and answer-type checks: refuse instead of answering a near miss.

Retrieval confidence cannot tell "the 2020 plan of Khánh Hòa" from "the 2022 plan of Hà Nội": both
questions find the same on-topic passages. Two cheap, explainable checks close most of that gap:

- scope: a province/city or a year named in the question must occur in one of the top documents
  (its text or its metadata); otherwise the documents are about something else;
- answer type: a question for an amount of money ("kinh phí bao nhiêu") must get an answer that states
  one; a question for a date, a date; a question for a số/ký hiệu, a document number.

Each returns the reason (Vietnamese, shown to the user) or None.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from retrieval.answer.facts import content_syllables, find_dates
from retrieval.answer.normalize import fold
from retrieval.normalize import strip_accents
from retrieval.types import SearchHit

# Provinces and centrally governed cities (the 63 before the 2025 merger; the 34 after are among them).
PROVINCES = (
    "An Giang",
    "Bà Rịa - Vũng Tàu",
    "Bạc Liêu",
    "Bắc Giang",
    "Bắc Kạn",
    "Bắc Ninh",
    "Bến Tre",
    "Bình Dương",
    "Bình Định",
    "Bình Phước",
    "Bình Thuận",
    "Cà Mau",
    "Cao Bằng",
    "Cần Thơ",
    "Đà Nẵng",
    "Đắk Lắk",
    "Đắk Nông",
    "Điện Biên",
    "Đồng Nai",
    "Đồng Tháp",
    "Gia Lai",
    "Hà Giang",
    "Hà Nam",
    "Hà Nội",
    "Hà Tĩnh",
    "Hải Dương",
    "Hải Phòng",
    "Hậu Giang",
    "Hòa Bình",
    "Hồ Chí Minh",
    "Hưng Yên",
    "Khánh Hòa",
    "Kiên Giang",
    "Kon Tum",
    "Lai Châu",
    "Lạng Sơn",
    "Lào Cai",
    "Lâm Đồng",
    "Long An",
    "Nam Định",
    "Nghệ An",
    "Ninh Bình",
    "Ninh Thuận",
    "Phú Thọ",
    "Phú Yên",
    "Quảng Bình",
    "Quảng Nam",
    "Quảng Ngãi",
    "Quảng Ninh",
    "Quảng Trị",
    "Sóc Trăng",
    "Sơn La",
    "Tây Ninh",
    "Thái Bình",
    "Thái Nguyên",
    "Thanh Hóa",
    "Thừa Thiên Huế",
    "Huế",
    "Tiền Giang",
    "Trà Vinh",
    "Tuyên Quang",
    "Vĩnh Long",
    "Vĩnh Phúc",
    "Yên Bái",
)
# "Hồ Chí Minh" is a place only after "thành phố"/"TP"; alone it is usually the person (Tư tưởng Hồ Chí Minh).
_NEEDS_PREFIX = {"Hồ Chí Minh"}
_PLACE_PREFIX = r"(?:tinh|thanh pho|tp\.?)\s+"
_YEAR = re.compile(r"(?<![\d/.-])(19[4-9]\d|20\d\d)(?![\d/])")
_MONEY_Q = re.compile(
    r"\b(?:kinh phi|ngan sach|tong gia tri|gia tri giai thuong|so tien|bao nhieu tien|chi phi|muc chi"
    r"|le phi|muc phi|hoc phi|thu phi|phi tham quan|muc thu|von dieu le|gia ban|gia tien|voi gia|gia mua"
    r"|bao nhieu (?:ty|trieu|nghin|ngan|dong))\b"
)
# the number ends with a digit: "1. Ngân hàng …" (a list number, then "ngân") states no amount
_MONEY_A = re.compile(
    r"\d(?:[\d.,]*\d)?\s*(?:dong|d\b|trieu|ty|vnd|(?:nghin|ngan) (?:dong|d\b))|\b(?:trieu|ty) dong\b",
    re.IGNORECASE,
)
# "bao nhiêu tấn / ngày / phần trăm": the answer must state a number with that unit
_UNIT_Q = re.compile(r"\bbao nhieu (tan|kg|km|ha|hec ta|m2|m3|met|lit|ngay|thang|tuan|gio|phut|phan tram)\b")
_CODE_Q = re.compile(r"\b(?:so hieu|so ky hieu|ky hieu|so van ban)\b")


def asks_amount(question: str) -> bool:
    """ "Mức chi … là bao nhiêu?", "tiết kiệm được bao nhiêu tiền": a sum of money is asked."""
    q = fold(question).lower()
    return bool(_MONEY_Q.search(q) and re.search(r"\bbao nhieu\b", q))


def states_amount(text: str) -> bool:
    return bool(_MONEY_A.search(fold(text).lower()))


_OWN_Q = re.compile(
    r"\b(?:co|mang)\s+(?:so\s+)?(?:so hieu|so ky hieu|ky hieu)\s+(?:la\s+)?(?:gi|nao|bao nhieu)\b"
)
_CODE_A = re.compile(r"\d+[a-zA-Z]*(?:\s*[-/–]\s*[A-ZĐa-zđ][\wĐđ]*)+")
# "tối đa bao nhiêu ngày", "trong mấy tháng": a length of time, not a date
_DURATION_Q = re.compile(r"\b(?:bao nhieu|may|bao lau)\s+(?:ngay|thang|nam|tuan|gio)\b|\bbao lau\b")
_DATE_Q = re.compile(r"\b(?:ngay nao|ngay may|ngay bao nhieu|han chot|truoc ngay|thoi han)\b")


def _place_patterns() -> list[tuple[str, re.Pattern]]:
    out = []
    for name in PROVINCES:
        body = re.escape(fold(name)).replace(r"\ \-\ ", r"\s*-\s*").replace(r"\ ", r"\s+")
        prefix = _PLACE_PREFIX if name in _NEEDS_PREFIX else ""
        out.append((name, re.compile(rf"\b{prefix}{body}\b")))
    return out


_PLACES = _place_patterns()
_PLACE_PATTERN = dict(_PLACES)
_PLACE_KEYS = [(name, fold(name).split("-")[0].strip(), pat) for name, pat in _PLACES]  # substring first


def quick_fold(text: str) -> str:
    """``fold`` for long texts: lower case, no diacritics, dashes as "-", no spaces around "-" and "/",
    one space between words — without ``fold``'s syllable normalization (tones are gone anyway)."""
    text = strip_accents(unicodedata.normalize("NFC", text)).lower()
    text = " ".join(re.sub(r"[–—]", "-", text).split())
    return re.sub(r" ?([-/]) ?", r"\1", text)


def named_places(text: str) -> list[str]:
    """The provinces and cities ``text`` names, in the order of PROVINCES."""
    folded = quick_fold(text)
    return [name for name, key, pat in _PLACE_KEYS if key in folded and pat.search(folded)]


def _mentions_all(text: str, places: Sequence[str], years: Sequence[str]) -> bool:
    if not all(y in text for y in years):
        return False
    folded = quick_fold(text) if places else ""
    return all(_PLACE_PATTERN[p].search(folded) for p in places)


def named_years(text: str) -> list[str]:
    return sorted(set(_YEAR.findall(text)))


def out_of_scope(
    question: str, hits: Sequence[SearchHit], doc_text: Callable[[str], str] | None = None, top: int = 3
) -> str | None:
    """Why the top ``top`` documents cannot answer ``question`` (a place or year it names occurs in
    none of them), or None."""
    places, years = named_places(question), named_years(question)
    if not (places or years) or not hits:
        return None
    docs: list[str] = []
    for h in sorted(hits, key=lambda h: h.rank):
        if h.chunk.doc_id in docs:
            continue
        docs.append(h.chunk.doc_id)
        if len(docs) >= top:
            break
    by_doc: dict[str, list[str]] = {}
    for h in hits:
        md = h.metadata
        fields = (h.title, md.co_quan_ban_hanh, md.dia_danh, md.ngay_ban_hanh, md.trich_yeu)
        meta = " ".join(x for x in fields if x)
        by_doc.setdefault(h.chunk.doc_id, [meta])
        if doc_text is None:  # otherwise the passage is already part of its document's text
            by_doc[h.chunk.doc_id].append(h.display_text)
    for doc_id in docs:
        text = doc_text(doc_id) if doc_text else ""
        if _mentions_all(text + "\n" + "\n".join(by_doc.get(doc_id, [])), places, years):
            return None
    wanted = ", ".join([*places, *(f"năm {y}" for y in years)])
    return f"Các văn bản tìm được không nói về {wanted}."


def restates_question(question: str, answer_text: str) -> bool:
    """True when the answer says nothing the question did not already say: every content syllable of
    the answer (citation markers and notes aside) occurs in the question. Small models often answer
    "Cán bộ ... theo mẫu hướng dẫn của cơ quan [1]." — verifiable against the passage, yet empty."""
    body = re.sub(r"\[\d+\]", " ", answer_text.split("\n\n(Lưu ý")[0])
    said = set(content_syllables(body)) | set(re.findall(r"\d+", body))
    asked = set(content_syllables(question)) | set(re.findall(r"\d+", question))
    return bool(said) and said <= asked


def wrong_answer_type(question: str, answer_text: str, own_codes: Sequence[str] = ()) -> str | None:
    """Why ``answer_text`` cannot answer ``question`` (an amount, a date or a số/ký hiệu asked, none
    given), or None. ``own_codes``: the số/ký hiệu of the documents given to the backend; a question
    for a document's number must be answered with one of them, not with a number the text cites."""
    q = fold(question).lower()
    a = fold(answer_text).lower()
    if _CODE_Q.search(q) and _OWN_Q.search(q):
        squeeze = re.sub(r"\s+", "", answer_text).upper()
        if not any(re.sub(r"\s+", "", c).upper() in squeeze for c in own_codes if c):
            return "Văn bản không nêu số/ký hiệu được hỏi."
    if asks_amount(question) and not states_amount(answer_text):
        return "Văn bản không nêu số tiền được hỏi."
    if _CODE_Q.search(q) and not _CODE_A.search(answer_text):
        return "Văn bản không nêu số/ký hiệu được hỏi."
    unit = _UNIT_Q.search(q)
    if unit and not _states_unit(unit.group(1), a):
        return f"Văn bản không nêu số {_UNIT_NAMES.get(unit.group(1), unit.group(1))} được hỏi."
    if _DATE_Q.search(q) and not _DURATION_Q.search(q) and not find_dates(a)[0]:
        return "Văn bản không nêu ngày được hỏi."
    return None


_UNIT_NAMES = {
    "tan": "tấn",
    "met": "mét",
    "lit": "lít",
    "hec ta": "héc-ta",
    "ngay": "ngày",
    "thang": "tháng",
    "tuan": "tuần",
    "gio": "giờ",
    "phut": "phút",
    "phan tram": "phần trăm",
}


def _states_unit(unit: str, folded_answer: str) -> bool:
    if unit == "phan tram":
        return bool(re.search(r"\d\s*%|\d\s*phan tram", folded_answer))
    return bool(re.search(rf"\d[\d.,]*\s*{unit}\b", folded_answer))


# Capitalised words that name a kind of document or a part of one, not a subject ("Quyết định 1610/…").
_GENERIC_CAPS = frozenset(
    {"quyet", "nghi", "thong", "ke", "chi", "luat", "cong", "huong", "dieu", "khoan", "chuong", "muc"}
    | {"phu", "van", "ban", "bo", "so", "nam", "ngay", "thang"}
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
_VALUE_Q = re.compile(r"\b(?:bao nhieu|may|ngay nao|khi nao|thoi han|han chot)\b")


def named_subjects(question: str) -> list[str]:
    """The words the question writes with a capital ("Bảo", "Phòng", "Không" of "Bảo tàng Phòng không -
    Không quân"): not the first word of a sentence, one-letter initials ("bà L"), acronyms ("HĐND") or
    document kinds ("Quyết định 1610/QĐ-…", checked elsewhere)."""
    out: list[str] = []
    for m in _WORD.finditer(question):
        word = m.group()
        sentence_start = question[: m.start()].rstrip()[-1:] in ("", ".", "?", "!", ":")
        if sentence_start or len(word) < 2 or not word[0].isupper() or word.isupper():
            continue
        if fold(word).lower() not in _GENERIC_CAPS:
            out.append(word)
    return list(dict.fromkeys(out))


def unnamed_subject(question: str, cited_texts: Iterable[str]) -> str | None:
    """Why the cited documents cannot answer a question for a value (bao nhiêu, mấy, ngày nào): a word
    it writes with a capital is written so (or in capitals) in none of them — the fee of the "Bảo tàng
    Lịch sử Quân sự" does not answer for the "Bảo tàng Phòng không - Không quân" —, or None.
    ``cited_texts`` is read only when the question is such a question."""
    if not _VALUE_Q.search(fold(question).lower()):
        return None
    names = named_subjects(question)
    texts = [unicodedata.normalize("NFC", t) for t in cited_texts] if names else []
    if not texts:
        return None
    plain = [strip_accents(t) for t in texts]  # for a word typed without accents ("Cao Bang")
    for word in names:
        pattern = re.compile(rf"(?<!\w)(?:{re.escape(word)}|{re.escape(word.upper())})(?!\w)")
        if not any(pattern.search(t) for t in (plain if word.isascii() else texts)):
            return f"Các văn bản được trích không nhắc đến “{word}”."
    return None
