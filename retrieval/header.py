"""Layout of an administrative document: where the body is, and the metadata around it.

``analyze_layout`` reads the lines of ``split_lines``. The head is first cut into *pieces*
(``retrieval.document.header_lines``: table rows split into cells, flattened cells cut at "Số:", the
motto and "<Địa danh>, ngày", markdown emphasis spans re-joined), so the rules below hold for Word
header tables, markdown pipe tables, web metadata blocks and plain lines alike:

- a web metadata block (label/value pieces: "Số hiệu", "Ngày ban hành", "Loại văn bản", "Người ký" …,
  the value on the same piece or the next) gives fallbacks for every field;
- ``so_ky_hieu``: the first header "Số: …" piece holding a number; a blank draft number ("Số:   /KH-X")
  is None, never the web field or another number;
- ``ngay_ban_hanh``/``dia_danh``: the header date piece only; a blank day ("ngày   tháng 11 năm 2025")
  keeps the place and gives no date; else the web date; else an adoption clause near the end ("…
  thông qua ngày 14 tháng 8 năm 2025", "passed on June 20, 2013");
- ``loai_van_ban``: the type line ("KẾ HOẠCH", "NGHỊ QUYẾT LIÊN TỊCH", "LAW"), else "Công văn" for a
  "V/v" header, else the web field, else the number's code;
- ``co_quan_ban_hanh``: the left-column capitals before "Số"/motto/date, composed by
  ``retrieval.document.issuer``; else "CỦA <CƠ QUAN>" under the type line; else the subject of the
  opening sentence; else the web field;
- ``trich_yeu``: the pieces under the type line up to the preamble, a rule line or the issuer's
  authority line ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …"), capitals sentence-cased; or the "V/v" piece;
- ``nguoi_ky``/``chuc_vu_nguoi_ky``: ``retrieval.document.signature`` on the first signature block;
- ``tinh``: ``retrieval.document.province``; ``references``: ``retrieval.document.references``.

The body ends at "Nơi nhận", the signature block or a web footer, whichever comes first
(``retrieval.document.closing``); web-block, adoption-clause and translation fallbacks live in
``retrieval.document.fallbacks``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.document.appendix import tail_range
from retrieval.document.closing import BULLET_RE, closing
from retrieval.document.fallbacks import adoption_date, english_issuer, web_block, web_type
from retrieval.document.header_lines import (
    is_caps,
    is_vv,
    iso,
    key,
    letter_subject,
    month_of,
    parse_date,
    pieces,
)
from retrieval.document.header_pieces import (
    ADOPTED_BY_RE,
    AUTHORITY_RE,
    ENACTED_RE,
    ENGLISH_TYPES,
    INTRO_ORG_RE,
    SO_PIECE_RE,
    TERMINAL,
    TYPE_INLINE_RE,
    TYPE_LINE_RE,
    bare_subject,
    caps_subject,
    enacting_note,
    from_header,
    inline_type,
    is_header_like,
    is_motto,
    is_so_line,
    numbering,
    so_number,
    starts_body,
    without_note_mark,
)
from retrieval.document.issuer import (
    BANNER_RE,
    complete,
    compose,
    place_of,
    recase,
    sentence_case,
    with_banner,
)
from retrieval.document.province import province_of
from retrieval.document.references import preamble_references
from retrieval.document.signature import name_of
from retrieval.document.subject import (
    SESSION_RE,
    authority_after,
    capitalized,
    named_in_full,
    names_issuer,
    with_level,
    without_session,
)
from retrieval.normalize import NormalizedText, document_type_of_number, find_document_numbers, normalize_text
from retrieval.types import DocMetadata

__all__ = [
    "BULLET_RE",
    "TERMINAL",
    "Layout",
    "Line",
    "analyze_layout",
    "is_motto",
    "numbering",
    "split_lines",
    "without_note_mark",
]

# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    index: int
    start: int  # whitespace-trimmed span of the line in the raw text
    end: int
    norm: NormalizedText  # normalized line; offsets are relative to ``start``

    @property
    def text(self) -> str:
        return self.norm.text

    @property
    def blank(self) -> bool:
        return not self.norm.text

    def raw_span(self, i: int = 0, j: int | None = None) -> tuple[int, int]:
        """Raw-text span of normalized characters ``text[i:j]``."""
        s, e = self.norm.to_source_span(i, len(self.text) if j is None else j)
        return self.start + s, self.start + e


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    pos = 0
    for idx, part in enumerate(text.split("\n")):
        s, e = pos, pos + len(part)
        pos = e + 1
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        lines.append(Line(idx, s, e, normalize_text(text[s:e])))
    return lines


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    metadata: DocMetadata
    body_start: int  # index of the first line that may be body text
    body_end: int  # one past the last line that may be body text
    tail: tuple[int, int] | None = None  # lines after the closing that are text again (appendices, notes)


def analyze_layout(lines: list[Line], raw_text: str = "") -> Layout:
    n = len(lines)
    head = pieces(raw_text, lines, 0, min(n, 400))
    web_end, web = web_block(head, lambda t: is_motto(t) or bool(TYPE_LINE_RE.match(t)))
    after_web = from_header(p for p in head if p.index >= web_end)
    type_at = None
    for j, p in enumerate(after_web[:80]):
        if TYPE_LINE_RE.match(p.text) or (is_caps(p.text) and TYPE_INLINE_RE.match(p.text)):
            type_at = j
            break
        if not is_header_like(p.text) and not (j and bare_subject(after_web[j - 1].text, p.text)):
            break
    if type_at is None:  # no type line: the header is the run of header-like pieces
        header = []
        for p in after_web:
            if not is_header_like(p.text) and not (header and bare_subject(header[-1].text, p.text)):
                break
            header.append(p)
    else:
        header = after_web[:type_at]
    evidence = (is_so_line, is_motto, is_vv, lambda t: parse_date(t)[0])
    if type_at is None and not any(f(p.text) for p in header for f in evidence):
        header = []  # capitals alone (a site's banner, a page title) are no document header
    so = date = place = trich_yeu = issuer = enacted_date = authority = banner = prev_text = month = None
    so_seen = date_seen = False
    org_lines: list[str] = []
    org_open = True
    line_before = -1
    for p in header:
        t = p.text
        is_date, d_place, d_iso = parse_date(t)
        is_so = is_so_line(t)
        # a motto or date after other text of its line is the right column of a two-column header
        # flattened into lines (PDF text: "ỦY BAN NHÂN DÂN CỘNG HÒA …" / "TỈNH X Độc lập - …")
        right = p.index == line_before and not is_so
        line_before = p.end_index
        if BANNER_RE.match(t) and not is_so:
            banner = banner or t  # the organization above or beside its issuing body
            continue
        if is_so or is_motto(t) or is_date:
            if p.col == 0 and not right:
                org_open = False
        elif org_open and p.col == 0 and is_caps(t) and not re.match(r"den\b|chuyen\b", key(t)):
            org_lines.append(t)
        if is_so and not so_seen and (num := so_number(t)):
            so, so_seen = num, True
        elif is_so and not so_seen and re.search(r"s[ốo]\s*:?\s*[./…]", t, re.I):
            so_seen = True  # a draft's blank number: "Số:   /KH-MTTQ-BTT"
        if is_date and (not date_seen or (place is None and d_place)):
            # the date line names its place; a bare "Ngày 26/11/2018" (a stamp, a subject's end) yields
            place, date, date_seen, month = d_place, d_iso, True, month_of(t)
        if trich_yeu is None and (is_vv(t) or (prev_text and bare_subject(prev_text, t))):
            trich_yeu = letter_subject(t)
        prev_text = t
    body_start = header[-1].end_index + 1 if header else web_end
    org_keys = {key(o) for o in org_lines} | {key(" ".join(org_lines))}
    loai = None
    if type_at is not None:
        tp = after_web[type_at]
        m = TYPE_LINE_RE.match(tp.text)
        groups = m.groups() if m else inline_type(tp.text)
        loai = ENGLISH_TYPES.get(groups[0]) or (groups[0] + (groups[1] or "")).capitalize()
        if groups[1]:
            loai = groups[0].capitalize() + " liên tịch"
        parts: list[str] = [groups[2]] if not m and groups[2] else []
        body_start = tp.end_index + 1
        for p in after_web[type_at + 1 :]:
            t = BULLET_RE.sub("", p.text)
            if not t:
                continue
            if not parts and SO_PIECE_RE.match(t) and find_document_numbers(t):
                so, so_seen = (so, so_seen) if so_seen else (find_document_numbers(t)[0], True)
            elif not parts and issuer is None and is_caps(t) and t.startswith("CỦA "):
                issuer = recase(t[4:])
            elif starts_body(t, first=not parts) or len(parts) >= 10:
                break
            elif parts and ENACTED_RE.match(t):  # "(Ban hành kèm theo Quyết định số … ngày …)"
                enacted = enacting_note(after_web, p)
                body_start = enacted[1] + 1
                enacted_date = enacted[0]
                break
            elif parts and is_caps(t) and (AUTHORITY_RE.match(t) or names_issuer(t, org_keys)):
                body_start = p.end_index + 1  # the issuer's authority line: neither subject nor body
                authority = t
                if not SESSION_RE.match(t):
                    session = next((q for q in after_web if q.index > p.index), None)
                    if session is not None and SESSION_RE.match(session.text):
                        body_start = session.end_index + 1
                break
            elif parts and is_caps(parts[-1]) and not is_caps(t) and (t[-1:] in TERMINAL or len(t) >= 60):
                break  # the first sentence of the body under a subject in capitals
            elif parts and t[-1:] in ".!?" and len(t.split()) >= 6:
                break  # a full sentence under a subject in sentence case: the body
            elif parts and is_caps(t) and not any(map(is_caps, parts)) and len(t.split()) >= 3:
                body_start = p.end_index + 1  # "BAN BÍ THƯ TRUNG ƯƠNG ĐOÀN …" under "Về việc …": who enacts
                authority = t
                break
            else:
                parts.append(t)
            body_start = p.end_index + 1
        joined = " ".join(without_session(parts))
        trich_yeu = sentence_case(joined) if joined else trich_yeu
    if type_at is None and trich_yeu is None and (so_seen or date_seen) and len(after_web) > len(header):
        # No type line: a short unpunctuated line right under the header is the subject.
        nxt = after_web[len(header)]
        short = nxt.text[-1:] not in TERMINAL + ":" and len(nxt.text) < 300
        if short and not starts_body(nxt.text, first=False):
            trich_yeu, body_start = nxt.text, nxt.end_index + 1
    if type_at is None and trich_yeu is None and (so_seen or date_seen):
        trich_yeu = caps_subject(header, org_keys)
    noi_nhan, position, signer, body_end = closing(lines, body_start, raw_text)
    intro = next((ln.text for ln in lines[body_start:body_end] if not ln.blank), "")
    has_header = bool(header or type_at is not None)
    if loai is None and trich_yeu and any(is_vv(p.text) or trich_yeu == p.text for p in header):
        loai = "Công văn"
    if not so_seen:
        so = (find_document_numbers(web.get("Ký hiệu", "") or web.get("Số hiệu", "")) or [None])[0]
    if not date_seen:
        web_date = web.get("Ngày ban hành") or web.get("Ngày ký xác thực") or ""
        if m_date := re.match(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", web_date):
            date = iso(m_date.group(3), m_date.group(2), m_date.group(1))
        elif has_header:
            date = enacted_date or adoption_date(lines, body_start)
    org_place = next((pl for o in org_lines if (pl := place_of(recase(o)))), None)
    place = place or (org_place[1] if org_place else None)
    loai = loai or web_type(web.get("Loại văn bản", ""), so) or document_type_of_number(so or "")
    m_intro = list(INTRO_ORG_RE.finditer(intro)) or list(ADOPTED_BY_RE.finditer(intro))
    org = (
        compose(org_lines)
        or issuer
        or (m_intro[-1].group(1).strip() if m_intro else None)
        or web.get("Cơ quan ban hành")
        or english_issuer(lines[body_start:body_end])
        or None
    )
    authority = authority or authority_after(after_web[: len(header) + 8])
    org = with_banner(named_in_full(complete(org, place), authority), banner)
    after = [ln.text for ln in lines[body_start:body_end]]
    refs = preamble_references(after, so) if has_header else ()
    preamble = " ".join(after[:40])
    period = date or month  # a draft's blank day still dates it to its month
    tinh = province_of(org, preamble, "\n".join(ln.text for ln in lines), period)
    # "ĐẢNG BỘ TỈNH NGHỆ AN" / "ĐẢNG ỦY TRƯỜNG …": the parent above the issuer names the province
    if tinh is None and org_lines:
        tinh = province_of(" ".join(recase(o) for o in org_lines), "", "", period)
    org = with_level(org, authority, tinh)
    signer = signer or (name_of(web["Người ký"])[1] if name_of(web.get("Người ký", "")) else None)
    meta = DocMetadata(
        so_ky_hieu=without_note_mark(so, raw_text),
        loai_van_ban=loai,
        co_quan_ban_hanh=org,
        dia_danh=place,
        ngay_ban_hanh=date,
        trich_yeu=capitalized(trich_yeu or web.get("Trích yếu") or web.get("Tiêu đề") or None),
        nguoi_ky=signer,
        chuc_vu_nguoi_ky=position or web.get("Chức danh") or None,
        noi_nhan=tuple(noi_nhan),
        tinh=tinh,
        references=refs,
    )
    return Layout(meta, body_start, body_end, tail_range(lines, body_end))
