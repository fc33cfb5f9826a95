"""What a document goes on with after its closing lines: appendices and end notes.

Many documents do not end at the signature: "PHỤ LỤC I — DANH SÁCH XÃ, PHƯỜNG …", "(Kèm theo Quyết
định số …)", "Mẫu số 01/HNCT", notes typed as "(1) Chỉ thị số 46-CT/TW …" / "[1] …" below the "Nơi
nhận" list, a "Ghi chú: …" under the signature, a workbook's next sheet ("Bảng tính: …"). They are
the document's text (the schedules, targets and lists a cadre asks about) and are indexed as body
again, each appendix under its own heading. A web site's footer still ends the text, and blank form
lines ("Họ và tên: ……………") say nothing and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.document.closing import is_footer
from retrieval.document.header_lines import is_caps, key
from retrieval.document.signature import SIG_RE, TITLE_RE

# "PHỤ LỤC", "Phụ lục I", "PHỤ LỤC SỐ 02", "Phụ lục: Danh mục …" (markdown marks stripped)
_APPENDIX_RE = re.compile(r"^phu luc(?:\s+(?:so\s+)?(?:\d{1,3}|[ivxlc]{1,6})[a-z]?)?\s*(?:[:.\-–]|$)")
_FORM_RE = re.compile(r"^mau(?:\s+so)?\s*:?\s*\d{1,3}[a-z]?\b")  # "Mẫu số 01/HNCT"
_SHEET_RE = re.compile(r"^bang tinh\s*:")  # "Bảng tính: Mau 12": the next sheet of a workbook (ingest/sheets)
_ATTACHED_RE = re.compile(r"^\(\s*(?:ban hanh\s+)?kem theo\b")  # "(Kèm theo Nghị định số …)"
_ENDNOTE_RE = re.compile(r"^(?:\(\d{1,3}\)|\[\d{1,3}\])\s*(?=\w)")  # "(1) Chỉ thị …", "[2] Hiến pháp …"
# "Ghi chú: Kết quả … chỉ có giá trị …"; not "Chú thích:"/"Lưu ý:", which sites use for their own notes
_NOTE_RE = re.compile(r"^ghi chu\s*:")
_SITE_TRAILER = (  # what a legal portal prints below the document
    "file duoc dinh kem",
    "van ban nay chua cap nhat noi dung tieng anh",
    "van ban lien quan",
    "ra chuot vao noi dung van ban",
)
_MAX_OPENER = 200  # an appendix's title line, not a paragraph mentioning one
_BLANK_CHARS = "….·_"


def plain_key(text: str) -> str:
    """Accent-free lower-case text without markdown emphasis or heading marks."""
    return " ".join(key(re.sub(r"[*_#`]+", " ", text)).split())


def opens_appendix(text: str) -> bool:
    """ "PHỤ LỤC I", "Mẫu số 01/HNCT", "(Kèm theo …)": a line that starts an appendix."""
    if len(text) > _MAX_OPENER:
        return False
    k = plain_key(text)
    return bool(appendix_level(text) or _ATTACHED_RE.match(k))


def appendix_level(text: str) -> int:
    """1 for an appendix's own line ("PHỤ LỤC I"), 2 for a form in it ("Mẫu số 01/HNCT"), else 0."""
    if len(text) > _MAX_OPENER:
        return 0
    k = plain_key(text)
    if _APPENDIX_RE.match(k) or _SHEET_RE.match(k):
        return 1
    return 2 if _FORM_RE.match(k) and len(k) < 60 else 0


def is_endnote(text: str) -> bool:
    """ "(1) Chỉ thị số 46-CT/TW …": a note typed with a bracketed number, with words after it."""
    m = _ENDNOTE_RE.match(text.strip("*_ "))
    return bool(m) and len(re.findall(r"[^\W\d_]{2,}", text[m.end() :])) >= 3 and not is_blank_form(text)


def is_blank_form(text: str) -> bool:
    """A line of a form to fill in ("Họ và tên: ………… Chức vụ: …………"): mostly dots."""
    stripped = "".join(text.split())
    blanks = sum(c in _BLANK_CHARS for c in stripped)
    return bool(stripped) and blanks >= 0.4 * len(stripped)


def ends_text(text: str) -> bool:
    """A web site's footer or trailer below the document ("Các văn bản khác", "Văn bản liên quan")."""
    return is_footer(text) or plain_key(text).startswith(_SITE_TRAILER)


def tail_range(lines: Sequence, body_end: int) -> tuple[int, int] | None:
    """(first, end) line indexes of what follows the closing lines as text of the document: from the
    first appendix opener or end note after ``body_end`` to a site footer or the end; None if nothing.

    An appendix title above a "(Kèm theo …)" line ("DANH MỤC THỦ TỤC …") is taken with it: the run of
    capitals right above, after the signer's name."""
    n = len(lines)
    first = None
    for ln in lines[body_end:]:
        if ln.blank:
            continue
        if ends_text(ln.text):
            return None
        if opens_appendix(ln.text) or is_endnote(ln.text) or _NOTE_RE.match(plain_key(ln.text)):
            first = ln.index
            break
    if first is None:
        return None
    if _ATTACHED_RE.match(plain_key(lines[first].text)):
        first = _title_above(lines, body_end, first)
    end = next((ln.index for ln in lines[first + 1 :] if not ln.blank and ends_text(ln.text)), n)
    return first, end


def _title_above(lines: Sequence, body_end: int, at: int) -> int:
    """The first of up to four capital lines right above line ``at`` (blank lines between allowed),
    below the signature block: a line "TM. …"/"CHỦ TỊCH" and the name under it are never a title."""
    floor = body_end + 1
    after_title = False
    for ln in lines[body_end + 1 : at]:
        if ln.blank:
            continue
        text = ln.text.strip("*_# ")
        if SIG_RE.match(text) or TITLE_RE.fullmatch(text):
            floor, after_title = ln.index + 1, True
        elif after_title:  # the signer's name
            floor, after_title = ln.index + 1, False
    first, taken = at, 0
    for ln in reversed(lines[floor:at]):
        if ln.blank:
            continue
        text = ln.text.strip("*_# ")
        if not is_caps(text) or taken >= 4 or len(text) > _MAX_OPENER:
            break
        first, taken = ln.index, taken + 1
    return first
