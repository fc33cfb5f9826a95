"""The signature block: who signed (nguoi_ky) and as what (chuc_vu_ky).

A block opens with an authority line ("TM. BAN THƯỜNG TRỰC", "KT. BỘ TRƯỞNG", "TL. CỤC TRƯỞNG"), then
the position ("CHỦ TỊCH", "PHÓ TRƯỞNG BAN"), a "(đã ký)" note or a stamp, and the name. It comes as
lines, or as one table cell flattened ("TM. BAN THƯỜNG TRỰC CHỦ TỊCH Nguyễn Văn A", even glued: "TM.
CHÍNH PHỦTHỦ TƯỚNGTrần Văn B"), often beside the "Nơi nhận" list ("Nơi nhận: … | TM. …"). With
several signature columns (a joint resolution) the last column with a name is read.

- ``nguoi_ky``: the name, i.e. the run of 2-6 capitalised words after the capitals (a rank such as
  "Đại tướng" dropped);
- ``chuc_vu_ky``: the last position title in the block's capitals that is not the object of "TM."/
  "KT."/"TL." ("KT. BỘ TRƯỞNG / THỨ TRƯỞNG" -> "THỨ TRƯỞNG"), through to the end of the capitals; else
  the last capitals line that is not an authority line.
"""

from __future__ import annotations

import re

from retrieval.document.header_lines import LOWER, UPPER, cells, is_caps, key

SIG_RE = re.compile(r"^(?:T\.?M|T/M|K\.?T|K/T|T\.?L|T/L|TUQ|Q)\s*[.:/]?\s+\S")
_NOISE_RE = re.compile(r"\((?:[^()]*(?:ký|ky|dấu|dau|họ tên|ho ten)[^()]*)\)", re.I)
_TITLES = (
    "CHỦ TỊCH", "BÍ THƯ", "TỔNG BÍ THƯ", "THỦ TƯỚNG", "BỘ TRƯỞNG", "THỨ TRƯỞNG", "TRƯỞNG TIỂU BAN",
    "TRƯỞNG BAN", "GIÁM ĐỐC", "TỔNG GIÁM ĐỐC", "CỤC TRƯỞNG", "TỔNG CỤC TRƯỞNG", "CHI CỤC TRƯỞNG",
    "CHỦ NHIỆM", "CHÁNH VĂN PHÒNG", "THỐNG ĐỐC", "CHÁNH ÁN", "VIỆN TRƯỞNG", "TRƯỞNG PHÒNG",
    "HIỆU TRƯỞNG", "TRƯỞNG ĐOÀN", "ỦY VIÊN", "TỔNG THƯ KÝ", "CHÁNH THANH TRA", "TỔNG KIỂM TOÁN",
    "VỤ TRƯỞNG", "TRƯỞNG", "CHỦ TỌA",
)  # fmt: skip
TITLE_RE = re.compile(r"(?:(?:PHÓ|P\.)\s*)?(?:" + "|".join(sorted(_TITLES, key=len, reverse=True)) + ")")
_AUTH_BEFORE_RE = re.compile(r"(?:T\.?M|T/M|K\.?T|K/T|T\.?L|T/L|TUQ|Q)\s*[.:/]?\s*$")
# 2-6 capitalised words; a one-letter middle name too ("Giàng A Páo", "Sùng A Chứ")
_NAME_RE = re.compile(
    f"([{UPPER}][{LOWER}]+(?:\\s+[{UPPER}](?=\\s+[{UPPER}][{LOWER}]))?(?:\\s+[{UPPER}][{LOWER}]+){{1,5}})(?![{LOWER}])"
)
_RANKS = ("đại tướng", "thượng tướng", "trung tướng", "thiếu tướng", "đại tá", "thượng tá", "trung tá")
_RANK_RE = re.compile(r"(?:^|(?<=\s))(?:" + "|".join(_RANKS) + r")\s+", re.I)
# first words of a post written in sentence case after a name: "Bí thư", "Chủ tịch", "Phó …"
_TITLE_HEADS = frozenset(["Bí", "Chủ", "Phó", "Giám", "Ủy", "Uỷ", "Trưởng", "Thứ", "Tổng", "Chánh", "Hiệu"])
_BARE_NOTE_RE = re.compile(r"(?:^|(?<=\s))(?:Đã|đã|ĐÃ)\s+(?:ký|KÝ)\b\.?")  # "… CHỦ TỊCH Đã ký Nguyễn Văn A"
_SURNAME_TEXT = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đoàn Đào Đinh Lâm Lương Mai "
    "Trịnh Trương Cao Hà Tạ Tô Vương Chu Lưu Thái Quách Kiều Lục Hứa Triệu Phùng Mạc Tăng Thân Nông Lò Lại "
    "Khổng Âu Giáp Thào Sùng Vàng Hầu Giàng Đàm Bế La Châu Tống Doãn Nghiêm Quan Tôn Từ Lữ Ninh Diệp "
    "Khúc Lã Bạch Phí Thạch Lăng Nhữ Cù Huỳnh Mạch Ông Kha Khương"
)
_SURNAMES = frozenset(_SURNAME_TEXT.split())
_SKIP_LINE_RE = re.compile(f"^(?:[-–+•]|\\(|[{LOWER}])")


def position_of(caps: str) -> str | None:
    """The signer's position in the capitals of a block ("TM. BAN THƯỜNG TRỰC CHỦ TỊCH" -> "CHỦ TỊCH")."""
    found = None
    for m in TITLE_RE.finditer(caps):
        if _AUTH_BEFORE_RE.search(caps[: m.start()]):
            continue
        found = m.start()
    if found is None:
        return None
    return re.sub(r"^P\.\s*", "PHÓ ", caps[found:].strip(" ,.;"))  # "P. GIÁM ĐỐC": a deputy


def caps_name(text: str) -> str | None:
    """A name printed in capitals ("TRẦN PHƯỚC ĐỨC"): 2-5 words, the first a Vietnamese surname."""
    words = text.split()
    if not (2 <= len(words) <= 5) or not is_caps(text) or words[0].title() not in _SURNAMES:
        return None
    return " ".join(w.title() for w in words) if all(re.fullmatch(f"[{UPPER}]+", w) for w in words) else None


def name_of(text: str) -> tuple[str, str] | None:
    """(text before the name, name) of the first person's name in ``text`` (2-6 capitalised words; or
    a name in capitals right after a position title: "HIỆU TRƯỞNG TRẦN PHƯỚC ĐỨC")."""
    text = _RANK_RE.sub("", _BARE_NOTE_RE.sub(" ", _NOISE_RE.sub(" ", text))).strip()
    m = _NAME_RE.search(text)
    if not m:
        title = TITLE_RE.match(text)
        name = caps_name(text[title.end() :].strip()) if title else None
        return (text[: title.end()].strip(), name) if title and name else None
    name = m.group(1)
    words = name.split()
    if len(words) > 2 and words[-1] in _TITLE_HEADS and re.match(f"\\s+[{LOWER}]", text[m.end() :]):
        name = " ".join(words[:-1])  # "Nguyễn Long Hải Bí thư Ban …": the name, then his other post
    if len(name.split()) < 2 or len(name) > 45:
        return None
    return text[: m.start()].strip(), name


def _is_name_line(text: str) -> bool:
    got = name_of(text)
    return bool(got) and not got[0]


def signature(texts: list[str]) -> tuple[str | None, str | None]:
    """(chuc_vu_ky, nguoi_ky) from the lines of a signature block, the authority line first."""
    first = cells(texts[0])
    sig_cells = [c for c in first if SIG_RE.match(c.strip()) or ((got := name_of(c)) and is_caps(got[0]))]
    if len(first) > 1 and sig_cells:
        named = [c for c in sig_cells if (got := name_of(c)) and is_caps(got[0])]
        if named:  # whole block in one cell
            caps, name = name_of(named[-1])  # type: ignore[misc]
            return position_of(caps) or caps or None, name
        texts = [sig_cells[-1], *texts[1:]]
    caps_parts: list[str] = []
    last_caps = None
    for i, raw in enumerate(texts[:25]):
        row = [c for c in cells(raw) if c.strip()]
        # a row of a two-column closing: the signature is the right column, recipients the left
        t = _NOISE_RE.sub(" ", row[-1] if len(row) > 1 else " ".join(row)).strip()
        if not t or (i and _SKIP_LINE_RE.match(t)) or key(t).startswith(("da ky", "noi nhan", "luu")):
            continue
        got = name_of(t)
        if got and (not got[0] or is_caps(got[0])):
            caps_parts.append(got[0])
            joined = " ".join(p for p in caps_parts if p)
            return position_of(joined) or last_caps, got[1]
        if is_caps(t) and last_caps and TITLE_RE.fullmatch(last_caps.strip(" .,")) and (nm := caps_name(t)):
            return position_of(" ".join(caps_parts)) or last_caps, nm  # "HIỆU TRƯỞNG" / "TRẦN PHƯỚC ĐỨC"
        if is_caps(t):
            caps_parts.append(t)
            if not SIG_RE.match(t):
                last_caps = t
        elif i and len(t) > 80:
            break
    return None, None
