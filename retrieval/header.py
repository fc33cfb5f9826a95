"""Layout of a plan document: where the body is, and the metadata around it.

``analyze_layout`` reads the lines of ``split_lines`` and finds a scraped page's metadata block
("Ký hiệu …" … "Nội dung"); the header (issuing-body lines, "Số: …", the motto, "<Địa danh>, ngày …
tháng … năm …", reception stamps such as "ĐẾN Số: 4463" / "Chuyển:", the type line "KẾ HOẠCH" and
the trích yếu under it); and the end of the body: "Nơi nhận" (also "Noi nhận"), the signature block
("TM.", "T/M", "KT." …) or a web footer ("Các văn bản khác"), whichever comes first.

Metadata rules (values are normalized text, see ``retrieval.normalize``):

- ``so_ky_hieu``: first header line "Số …" holding a document number, else the web field.
- ``ngay_ban_hanh``/``dia_danh``: the header date line only (never a body date), else the web
  "Ngày ban hành"; ``dia_danh`` falls back to an issuing-body line "TỈNH KHÁNH HÒA".
- ``loai_van_ban``: the type line sentence-cased, else the web field, else the number's code.
- ``co_quan_ban_hanh``: the issuing-body lines re-cased, innermost unit first ("ỦY BAN MTTQ VIỆT NAM
  / TỈNH KHÁNH HÒA / BAN THƯỜNG TRỰC" -> "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Khánh Hòa");
  else a "CỦA <CƠ QUAN>" line under the type line; else the subject of the opening sentence
  ("…, Ban Thường vụ Tỉnh ủy xây dựng kế hoạch …"); else the web field. A name ending in a bare
  level ("… tỉnh", "Tỉnh ủy") is completed with ``dia_danh``.
- ``trich_yeu``: the lines under the type line, joined, up to the opening paragraph.
- ``nguoi_ky``/``chuc_vu_nguoi_ky``: the first name-like line of the signature block, and the last
  upper-case position line above it other than the "TM./T/M" line.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from retrieval.normalize import (
    NormalizedText,
    document_type_of_number,
    find_document_numbers,
    normalize_text,
    strip_accents,
)
from retrieval.types import DocMetadata

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


# --------------------------------------------------------------------------- shared patterns

_ROMAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"}
_ROMAN_RE = re.compile(r"^([IVX]{1,4})\s*[.\-–)]\s*(?=\S)")
_DECIMAL_RE = re.compile(r"^\d{1,2}\.\d{1,2}(\.\d{1,2})?(\.?)\s+(?=\S)")
_NUMBER_RE = re.compile(r"^\d{1,2}\s*[.)]\s*(?=[^\d\s])")
_LETTER_RE = re.compile(r"^[a-zđ]\s*\)\s*(?=\S)")
BULLET_RE = re.compile(r"^[-–—+•●▪◦○]\s*(?=\S)")
TERMINAL = ".!?;…"


def numbering(text: str) -> tuple[int, int] | None:
    """(level, prefix length) of a numbered line: "I."/"I-" 1, "1." 2, "1.1." 3, "a)"/"1.1.1." 4."""
    if (m := _ROMAN_RE.match(text)) and m.group(1) in _ROMAN:
        return 1, m.end()
    if (m := _DECIMAL_RE.match(text)) and (m.group(2) or text[m.end()].isupper()):
        return (4 if m.group(1) else 3), m.end()
    if m := _NUMBER_RE.match(text):
        return 2, m.end()
    return (4, m.end()) if (m := _LETTER_RE.match(text)) else None


def _key(text: str) -> str:
    return strip_accents(text).lower()


# --------------------------------------------------------------------------- header pieces

_WEB_LABELS = (
    "Nội dung văn bản", "Ký hiệu", "Số hiệu", "Ngày ban hành", "Ngày hết hiệu lực", "Ngày hiệu lực",
    "Trích yếu", "Cơ quan ban hành", "Loại văn bản", "Lĩnh vực", "Tập tin đính kèm", "Người ký",
)  # fmt: skip
_TYPES = (
    "KẾ HOẠCH", "HƯỚNG DẪN", "CHỈ THỊ", "NGHỊ QUYẾT", "THÔNG BÁO", "QUYẾT ĐỊNH", "CÔNG VĂN", "BÁO CÁO",
    "CHƯƠNG TRÌNH", "TỜ TRÌNH", "QUY ĐỊNH", "QUY CHẾ", "ĐỀ ÁN", "KẾT LUẬN", "THÔNG TRI",
    "CHƯƠNG TRÌNH HÀNH ĐỘNG",
)  # fmt: skip
_TYPE_LINE_RE = re.compile(r"^(" + "|".join(sorted(_TYPES, key=len, reverse=True)) + r")(\s+LIÊN TỊCH)?$")
_DATE_RE = re.compile(
    r"^(?:(?P<place>[^\W\d_][^,\d]{1,40}?)\s*,\s*)?ng[àa]y\s+(?P<d>\d{1,2})\s+th[áa]ng\s+(?P<m>\d{1,2})"
    r"\s+n[ăa]m\s+(?P<y>\d{4})",
    re.I,
)
_DATE_SLASH_RE = re.compile(
    r"^(?P<place>[^\W\d_][^,\d]{1,40}?)\s*,\s*ng[àa]y\s+(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})",
    re.I,
)
_SO_LINE_RE = re.compile(r"^S[ốỐ]\b")
_BODY_CUES = (
    "Thực hiện", "Căn cứ", "Thi hành", "Triển khai", "Nhằm", "Để", "Trên cơ sở", "Theo đề nghị", "Xét",
    "Qua ", "Sau khi", "Ngày ",
)  # fmt: skip
_SIG_RE = re.compile(r"^(?:T\.?M|T/M|K\.?T|K/T|T\.?L|T/L|TUQ|Q)\s*[.:/]?\s+\S")
_SIG_NOISE = ("(da ky)", "da ky", "(ky ten", "(ky,", "(ky va", "(chu ky", "(ky ")  # accent-free keys
_POSITION_TOKENS = frozenset(
    ("chu", "tich", "bi", "thu", "giam", "doc", "pho", "uy", "vien", "chanh", "ban", "thuong", "truc", "vu",
     "tm", "kt", "tl", "van", "phong", "tong")
)  # fmt: skip
_LEVEL_WORDS = ("tỉnh", "huyện", "thành phố", "thị xã", "quận", "xã", "phường", "thị trấn")
_LEVEL_ORGS = ("Tỉnh ủy", "Huyện ủy", "Thành ủy", "Thị ủy", "Quận ủy") + _LEVEL_WORDS
_INTRO_ORG_RE = re.compile(
    r"(?:^|[,;]\s*)((?:Ban|Ủy ban|Thường trực|Tỉnh ủy|Huyện ủy|Thành ủy|Đảng ủy|Đảng đoàn|Sở|UBND|Hội|"
    r"Văn phòng|Mặt trận|Bộ|Cục|Chi bộ|Đoàn)\b[^,;:]{0,100}?)\s+(?:xây dựng|ban hành|triển khai|hướng dẫn|"
    r"đề ra|thông báo|chỉ đạo)\s+(?:kế hoạch|hướng dẫn|chương trình|thực hiện|như sau|nội dung)"
)
_CAPITALIZED = {
    "việt nam": "Việt Nam", "tổ quốc": "Tổ quốc", "tỉnh ủy": "Tỉnh ủy", "huyện ủy": "Huyện ủy",
    "thành ủy": "Thành ủy", "thị ủy": "Thị ủy", "đảng ủy": "Đảng ủy", "trung ương": "Trung ương",
    "mặt trận": "Mặt trận", "đảng": "Đảng", "chính phủ": "Chính phủ", "quốc hội": "Quốc hội",
}  # fmt: skip
_UNIT_HEADS = ("ban", "sở", "bộ", "cục", "hội", "trường", "đoàn")


def is_motto(text: str) -> bool:
    k = _key(text)
    return k.startswith(("cong hoa xa hoi chu nghia", "doc lap - tu do", "doc lap tu do")) or k == (
        "dang cong san viet nam"
    )


def _is_footer(text: str) -> bool:
    """A web site's footer: "Các văn bản khác", "TRANG THÔNG TIN ĐIỆN TỬ …", "Bản quyền thuộc …"."""
    k = _key(text)
    if k.rstrip(" :") in ("cac van ban khac", "van ban lien quan", "van ban khac"):
        return True
    return k.startswith(("ban quyen thuoc", "copyright")) or (
        _is_caps(text) and k.startswith("trang thong tin")
    )


def parse_date_line(text: str) -> tuple[str | None, str | None]:
    """("Khánh Hòa", "2020-02-04") from "Khánh Hòa, ngày 04 tháng 02 năm 2020"; (None, None) else."""
    m = _DATE_RE.match(text) or _DATE_SLASH_RE.match(text)
    if not m:
        return None, None
    return (m.group("place") or "").strip() or None, _iso(m.group("y"), m.group("m"), m.group("d"))


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        return datetime.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _recase_org(line: str) -> str:
    """Re-case an upper-case header line: "ỦY BAN MTTQ VIỆT NAM" -> "Ủy ban MTTQ Việt Nam"."""
    words = line.split()
    low = " ".join(w if _is_acronym(w) else w.lower() for w in words)
    for level in _LEVEL_WORDS:
        if low.startswith(level + " ") and not _key(low).startswith(_key(level) + " uy"):
            return level + " " + line[len(level) + 1 :].title()
    for phrase, cased in _CAPITALIZED.items():
        low = re.sub(rf"(?<!\w){phrase}(?!\w)", cased, low)
    parts = low.split(" ")
    if parts[0] in _UNIT_HEADS and len(parts) > 1 and not _is_acronym(parts[1]):
        parts[1] = parts[1][:1].upper() + parts[1][1:]
    low = " ".join(parts)
    for org in ("Tỉnh ủy", "Huyện ủy", "Thành ủy", "Thị ủy", "Đảng ủy"):
        if low.startswith(org + " "):
            return org + " " + low[len(org) + 1 :].title()
    return low[:1].upper() + low[1:]


def _is_acronym(word: str) -> bool:
    letters = strip_accents(word)
    return len(letters) >= 2 and letters.isupper() and not any(v in letters for v in "AEIOUY")


def _compose_org(org_lines: list[str]) -> str | None:
    """Issuing-body lines, outermost first, read as one name, innermost unit first."""
    units: list[str] = []
    for raw in org_lines:
        cased = _recase_org(raw)
        if units and cased.startswith(_LEVEL_WORDS):
            units[-1] = f"{units[-1]} {cased}"
        else:
            units.append(cased)
    return " ".join(reversed(units)) or None


def _place_of_org_lines(org_lines: list[str]) -> str | None:
    for raw in org_lines:
        cased = _recase_org(raw)
        for level in _LEVEL_WORDS:
            if cased.startswith(level + " "):
                return cased[len(level) + 1 :]
    return None


def _complete_org(org: str | None, place: str | None) -> str | None:
    if org and place and _key(place) not in _key(org) and org.endswith(_LEVEL_ORGS):
        return f"{org} {place}"
    return org


def _is_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 6 or len(text) > 45 or any(c.isdigit() for c in text):
        return False
    if not all(w[0].isupper() and w.replace(".", "").isalpha() for w in words):
        return False
    return not (_is_caps(text) and _POSITION_TOKENS.intersection(_key(text).split()))


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    metadata: DocMetadata
    body_start: int  # index of the first line that may be body text
    body_end: int  # one past the last line that may be body text


def _web_block(lines: list[Line]) -> tuple[int, dict[str, str]]:
    """(index after the block, fields) of a scraped page's metadata block; (0, {}) when absent."""
    fields: dict[str, str] = {}
    end = 0
    for seen, ln in enumerate([ln for ln in lines[:40] if not ln.blank]):
        if label := next((lab for lab in _WEB_LABELS if ln.text.startswith(lab)), None):
            fields[label] = ln.text[len(label) :].strip(" :")
            end = ln.index + 1
        elif ln.text == "Nội dung" and fields:
            return ln.index + 1, fields
        elif seen >= 3 and len(fields) < 2:
            break
    return (end, fields) if len(fields) >= 2 else (0, {})


def _is_header_like(text: str) -> bool:
    if numbering(text) or BULLET_RE.match(text):
        return False
    if _SO_LINE_RE.match(text) or is_motto(text) or parse_date_line(text)[1] or text.startswith("V/v"):
        return True
    if _is_caps(text) and len(text) <= 100:
        return True
    # Reception stamp of a scanned letter: "ĐẾN Số: 4463", "Ngày 23 / 9 / 2020", "Chuyển:".
    return bool(re.match(r"den so\b|chuyen\s*:|ngay\s+\d{1,2}\s*/", _key(text)))


def _starts_body(text: str, first: bool) -> bool:
    if numbering(text) or len(text) > 400:
        return True
    return not first and (text.startswith(_BODY_CUES) or text.endswith(":"))


def analyze_layout(lines: list[Line]) -> Layout:
    web_end, web = _web_block(lines)
    n = len(lines)
    type_idx = None
    for ln in lines[web_end : web_end + 60]:
        if ln.blank:
            continue
        if _TYPE_LINE_RE.match(ln.text):
            type_idx = ln.index
            break
        if not _is_header_like(ln.text):
            break
    header_end = type_idx if type_idx is not None else web_end
    if type_idx is None:  # no type line: the header is the run of header-like lines
        for ln in lines[web_end:]:
            if not ln.blank and not _is_header_like(ln.text):
                break
            header_end = ln.index + 1
    so = date = place = trich_yeu = issuer = None
    org_lines: list[str] = []
    org_open = True
    for ln in lines[web_end:header_end]:
        t = ln.text
        if ln.blank:
            continue
        d_place, d_iso = parse_date_line(t)
        if _SO_LINE_RE.match(t) or is_motto(t) or d_iso:
            org_open = False
        elif org_open and _is_caps(t):
            org_lines.append(t)
        if so is None and _SO_LINE_RE.match(t):
            so = next(iter(find_document_numbers(t)), None)
        if date is None and d_iso:
            place, date = d_place, d_iso
        if trich_yeu is None and t.startswith("V/v"):
            trich_yeu = t[3:].strip(" :.")
    body_start = header_end
    if type_idx is not None:
        parts: list[str] = []
        i = type_idx + 1
        while i < n:
            t = BULLET_RE.sub("", lines[i].text)
            if not t:
                i += 1
                continue
            if not parts and issuer is None and _is_caps(t) and t.startswith("CỦA "):
                issuer = _recase_org(t[4:])
            elif _starts_body(t, first=not parts) or len(parts) >= 6:
                break
            else:
                parts.append(t)
            i += 1
        trich_yeu = " ".join(parts) or trich_yeu
        body_start = i
    noi_nhan, position, signer, body_end = _tail(lines, body_start)
    intro = next((ln.text for ln in lines[body_start:body_end] if not ln.blank), "")
    loai = _TYPE_LINE_RE.match(lines[type_idx].text).group().capitalize() if type_idx is not None else None
    if loai is None and trich_yeu and lines and any(ln.text.startswith("V/v") for ln in lines[:header_end]):
        loai = "Công văn"
    so = so or (find_document_numbers(web.get("Ký hiệu", "") or web.get("Số hiệu", "")) or [None])[0]
    if date is None and (m := re.match(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", web.get("Ngày ban hành", ""))):
        date = _iso(m.group(3), m.group(2), m.group(1))
    place = place or _place_of_org_lines(org_lines)
    loai = loai or _web_type(web.get("Loại văn bản", ""), so) or document_type_of_number(so or "")
    m_intro = list(_INTRO_ORG_RE.finditer(intro))
    org = (
        _compose_org(org_lines)
        or issuer
        or (m_intro[-1].group(1).strip() if m_intro else None)
        or web.get("Cơ quan ban hành")
        or None
    )
    meta = DocMetadata(
        so_ky_hieu=so,
        loai_van_ban=loai,
        co_quan_ban_hanh=_complete_org(org, place),
        dia_danh=place,
        ngay_ban_hanh=date,
        trich_yeu=trich_yeu or web.get("Trích yếu") or None,
        nguoi_ky=signer,
        chuc_vu_nguoi_ky=position,
        noi_nhan=tuple(noi_nhan),
    )
    return Layout(meta, body_start, body_end)


def _web_type(field: str, so: str | None) -> str | None:
    options = [o.strip().capitalize() for o in field.split(",") if o.strip()]
    preferred = document_type_of_number(so or "")
    return preferred if preferred in options else (options[0] if options else None)


def _tail(lines: list[Line], body_start: int) -> tuple[list[str], str | None, str | None, int]:
    """(recipients, signer position, signer name, body end) from the closing lines."""
    n = len(lines)
    noi_idx = sig_idx = foot_idx = None
    for ln in lines[body_start:]:
        if ln.blank:
            continue
        k = _key(ln.text)
        if noi_idx is None and re.match(r"noi nhan\s*(:|$)", k):
            noi_idx = ln.index
        elif sig_idx is None and _SIG_RE.match(ln.text) and _is_caps(ln.text) and len(ln.text) <= 80:
            sig_idx = ln.index
        elif foot_idx is None and _is_footer(ln.text):
            foot_idx = ln.index
    body_end = min(i for i in (noi_idx, sig_idx, foot_idx, n) if i is not None)
    recipients: list[str] = []
    after_list = None
    if noi_idx is not None:
        first = re.sub(r"^\S+\s+\S+\s*:?\s*", "", lines[noi_idx].text)
        recipients.extend(_clean_recipient(p) for p in re.split(r"\s+-\s+|^-\s*", first) if p.strip())
        for ln in lines[noi_idx + 1 :]:
            if ln.blank:
                continue
            if not BULLET_RE.match(ln.text):
                after_list = ln.index
                break
            recipients.append(_clean_recipient(BULLET_RE.sub("", ln.text)))
    start = sig_idx if sig_idx is not None else after_list
    position = signer = None
    if start is not None:
        seen = 0
        for ln in lines[start : min(n, foot_idx if foot_idx and foot_idx > start else n)]:
            t = ln.text
            if ln.blank or _key(t).startswith(_SIG_NOISE):
                continue
            seen += 1
            if _is_name(t):
                signer = t.title() if _is_caps(t) else t
                break
            if _is_caps(t) and not _SIG_RE.match(t):
                position = t
            elif not _is_caps(t) or seen > 6:
                break
    return [r for r in recipients if r], position, signer, body_end


def _clean_recipient(text: str) -> str:
    return text.strip().rstrip(",;.").strip()
