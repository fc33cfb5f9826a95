"""The issuing body (cơ quan ban hành) from the header's left block, in normal case.

The left block lists the bodies outermost first, one per line ("ỦY BAN MTTQ VIỆT NAM / XÃ LƯƠNG MINH /
BAN THƯỜNG TRỰC") or flattened into one cell ("ỦY BAN MTTQ VIỆT NAM XÃ LƯƠNG MINH BAN THƯỜNG TRỰC"). A
flattened block is cut before a unit head ("BAN", "TIỂU BAN", "CỤC", "SỞ", "TRUNG TÂM" …) once the text
before it names a complete body (it holds a level and a place, "… XÃ LƯƠNG MINH", or is a ministry,
"BỘ TÀI CHÍNH"). The name is read innermost unit first: "Ban Thường trực Ủy ban MTTQ Việt Nam xã Lương
Minh". Under a state administration parent (a ministry, an Ủy ban nhân dân) the unit is the issuer on
its own, completed with the parent's place: "BỘ TÀI CHÍNH / CỤC HẢI QUAN" -> "Cục Hải quan",
"UBND THÀNH PHỐ HÀ NỘI / TRUNG TÂM PHỤC VỤ …" -> "Trung tâm phục vụ … thành phố Hà Nội". Some parents
are never part of the name: a Party organization above its committee ("ĐẢNG BỘ TỈNH X" / "HUYỆN ỦY Y"
-> "Huyện ủy Y"), the Central Committee above its bodies ("Ủy ban Kiểm tra Trung ương"), a national
confederation above a union named in full ("Công đoàn Giáo dục Việt Nam"); an association's chapter reads
"Hội Khuyến học tỉnh X" ("HỘI KHUYẾN HỌC VIỆT NAM" / "TỈNH HỘI X").
"""

from __future__ import annotations

import re

from retrieval.document.header_lines import UPPER, is_caps, key

LEVEL_WORDS = ("tỉnh", "huyện", "thành phố", "thị xã", "quận", "xã", "phường", "thị trấn", "đặc khu")
LEVEL_ORGS = ("Tỉnh ủy", "Huyện ủy", "Thành ủy", "Thị ủy", "Quận ủy") + LEVEL_WORDS
_ACRONYMS = {
    "ubnd": "Ủy ban nhân dân", "hđnd": "Hội đồng nhân dân", "bch": "Ban Chấp hành", "hnd": "Hội Nông dân",
    "lđlđ": "Liên đoàn Lao động", "hlhpn": "Hội Liên hiệp Phụ nữ", "ccb": "Cựu chiến binh",
    "tx.": "thị xã", "tp.": "thành phố", "cđcs": "Công đoàn cơ sở",
}  # fmt: skip
_CAPITALIZED = {
    "việt nam": "Việt Nam", "tổ quốc": "Tổ quốc", "tỉnh ủy": "Tỉnh ủy", "huyện ủy": "Huyện ủy",
    "thành ủy": "Thành ủy", "thị ủy": "Thị ủy", "đảng ủy": "Đảng ủy", "trung ương": "Trung ương",
    "mặt trận": "Mặt trận", "đảng": "Đảng", "chính phủ": "Chính phủ", "quốc hội": "Quốc hội",
    "nhà nước": "Nhà nước", "ủy ban nhân dân": "Ủy ban nhân dân", "hội đồng nhân dân": "Hội đồng nhân dân",
    "ủy ban thường vụ": "Ủy ban Thường vụ", "liên đoàn lao động": "Liên đoàn Lao động",
    "hội nông dân": "Hội Nông dân", "hội liên hiệp phụ nữ": "Hội Liên hiệp Phụ nữ",
    "hội cựu chiến binh": "Hội Cựu chiến binh", "ban chấp hành đoàn": "Ban Chấp hành Đoàn",
    "ban chấp hành": "Ban Chấp hành", "tỉnh đoàn": "Tỉnh đoàn", "huyện đoàn": "Huyện đoàn",
    "hồ chí minh": "Hồ Chí Minh",
}  # fmt: skip
_NAMED_ORGS = (
    "Tỉnh ủy", "Huyện ủy", "Thành ủy", "Thị ủy", "Đảng ủy", "Tỉnh đoàn", "Huyện đoàn", "Thành đoàn",
)  # fmt: skip
_NAME_ENDS = frozenset(["quoc hoi", "chinh phu", "chu tich nuoc"])  # a parent is never printed below
_UNIT_HEADS = (
    "ban", "sở", "bộ", "cục", "hội", "trường", "đoàn", "văn phòng", "tổng cục", "viện", "phòng", "công đoàn",
)  # fmt: skip
_SPLIT_HEADS = (
    "TIỂU BAN", "BAN", "CỤC", "TỔNG CỤC", "SỞ", "TRUNG TÂM", "VĂN PHÒNG", "PHÒNG", "CHI CỤC", "ĐẢNG ỦY",
    "CHI BỘ", "HỘI ĐỒNG", "VIỆN", "TRƯỜNG", "CÔNG AN", "THANH TRA", "ỦY BAN", "LIÊN ĐOÀN LAO ĐỘNG",
    "CÔNG ĐOÀN", "BCH", "CĐCS", "CHI ĐOÀN",
)  # fmt: skip
_HEADS_ALT = "|".join(sorted(_SPLIT_HEADS, key=len, reverse=True))
_SPLIT_RE = re.compile(r"(?<=\s)(?:" + _HEADS_ALT + r")(?:\s+\S|$)")  # "… VĂN PHÒNG" ending a line too
_LEVEL_RE = re.compile(
    r"(?:^|\s)(?:(?:TỈNH|HUYỆN|THÀNH PHỐ|THỊ XÃ|QUẬN|XÃ|PHƯỜNG|THỊ TRẤN|ĐẶC KHU)\s+|(?:TX|TP)\.\s*)\S"
)
_NATIONAL_RE = re.compile(r"Việt Nam$|Hồ Chí Minh$")
_OFFICES = ("PHÒNG ", "SỞ ")  # an education office above its school
_GRASSROOTS = ("Chi bộ", "Công đoàn cơ sở", "Chi đoàn", "Ban Chấp hành Đoàn trường", "Ban Chấp hành Trường")
_PARENT_ONLY = ("ĐẢNG BỘ", "BAN CHẤP HÀNH TRUNG ƯƠNG")
_CHAPTER_RE = re.compile(r"^(TỈNH|HUYỆN|THÀNH|QUẬN|THỊ) HỘI\s+(\S.*)$")  # "TỈNH HỘI HƯNG YÊN": a chapter
_CHAPTER_INLINE_RE = re.compile(r" VIỆT NAM (TỈNH|HUYỆN|THÀNH|QUẬN|THỊ) HỘI ")
_CHAPTER_LEVEL = {"TỈNH": "TỈNH", "HUYỆN": "HUYỆN", "THÀNH": "THÀNH PHỐ", "QUẬN": "QUẬN", "THỊ": "THỊ XÃ"}
_ORG_WORDS = ("Công đoàn", "Hội", "Liên đoàn", "Ban", "Ủy ban", "Đoàn", "Tổng")
_EDU_PARENT_RE = re.compile(r"^(?:phòng|sở|ubnd|ủy ban nhân dân)\b")
_SCHOOL_LEVELS = ("mầm non", "mẫu giáo", "tiểu học", "trung học cơ sở", "trung học phổ thông", "phổ thông")
_HIGHER_SCHOOLS = ("đại học", "cao đẳng", "trung cấp")
_SCHOOL_KINDS = (
    *_SCHOOL_LEVELS, "dân tộc", "nội trú", "bán trú", "liên cấp", "và", *_HIGHER_SCHOOLS,
)  # fmt: skip
_SCHOOL_ACRONYMS = {"ĐH": "Đại học", "CĐ": "Cao đẳng"}
# "TRƯỜNG THCS …", "TRƯỜNG TIỂU HỌC …": a school's name, at a line's start or after its unit ("CHI BỘ …")
_SCHOOL_RE = re.compile(
    r"(?:^|(?<=\s))TRƯỜNG:?\s+(?:[A-ZĐ]{2,}\b|"
    + "|".join(k.upper() for k in (*_SCHOOL_LEVELS, *_HIGHER_SCHOOLS))
    + ")"
)
_ADMIN_PARENT_RE = re.compile(r"^(?:bộ\s|ubnd\b|ủy ban nhân dân\b)")


def _is_acronym(word: str) -> bool:
    from retrieval.normalize import strip_accents

    letters = strip_accents(word)
    return len(letters) >= 2 and letters.isupper() and not any(v in letters for v in "AEIOUY")


def recase(line: str) -> str:
    """Re-case an upper-case header line: "ỦY BAN MTTQ VIỆT NAM XÃ LƯƠNG MINH" -> "Ủy ban MTTQ Việt Nam
    xã Lương Minh"; "UBND" and "HĐND" are spelled out."""
    school = _SCHOOL_RE.search(line)
    if school and school.start() == 0:
        return _school(line)
    line = line.replace("UỶ", "ỦY").replace("Uỷ", "Ủy")  # the older accent placement, one spelling
    if school and not line.startswith("TRƯỜNG"):  # "CHI BỘ TRƯỜNG THCS …": the unit, then its school
        return f"{recase(line[: school.start() - 1])} {_school(line[school.start() :])}"
    words = []
    for w in line.split():
        lw = w.lower()
        words.append(_ACRONYMS.get(lw, w if _is_acronym(w) else lw))
    low = " ".join(words)
    for phrase, cased in _CAPITALIZED.items():  # any case: "BCH" is spelled out cased already
        low = re.sub(rf"(?<!\w){phrase}(?!\w)", cased, low, flags=re.I)
    # A place after its level word is a proper name: "tỉnh nghệ an" -> "tỉnh Nghệ An".
    levels = "|".join(LEVEL_WORDS)
    low = re.sub(
        # "… và Xã hội", "Bảo hiểm xã hội tỉnh X" are not a commune "Hội …"
        rf"(?<!\w)(?!xã hội(?:$|,|\s+(?:{levels}|và)\b))({levels}) "
        rf"((?:(?!(?:{levels})\b)(?:[^\W\d_]+|-(?= )) ?)+)",  # "Bà Rịa - Vũng Tàu" one place
        lambda m: f"{m.group(1)} {m.group(2).title()}",
        low,
    )
    parts = low.split(" ")
    for head in _UNIT_HEADS:
        n = len(head.split())
        nxt = parts[n] if len(parts) > n else ""
        if " ".join(parts[:n]) == head and nxt and not _is_acronym(nxt) and nxt != "đồng":
            parts[n] = parts[n][:1].upper() + parts[n][1:]
            break
    low = " ".join(parts)
    if low.startswith(("bộ ", "sở ", "phòng ")):  # each joined field capitalised: "Bộ Giáo dục và Đào tạo"
        low = re.sub(r"((?:\svà|\s-|,)\s)(\w)", lambda m: m.group(1) + m.group(2).upper(), low)
    for org in _NAMED_ORGS:
        if low.startswith(org + " "):
            rest = " ".join(line.split()[len(org.split()) :])
            if rest.startswith("TRƯỜNG "):  # "ĐẢNG ỦY TRƯỜNG ĐẠI HỌC VINH"
                return f"{org} {_school(rest)}"
            if rest.lower().startswith(tuple(h + " " for h in (*_UNIT_HEADS, *LEVEL_WORDS))):
                return f"{org} {recase(rest)}"  # "ĐẢNG ỦY SỞ TÀI CHÍNH", "ĐẢNG ỦY XÃ SƠN PHÚ"
            return org + " " + low[len(org) + 1 :].title()
    if low.startswith(LEVEL_WORDS):  # "tỉnh Nghệ An": a place line, joined to the body above it
        return low
    return low[:1].upper() + low[1:]


def _school(line: str) -> str:
    """ "TRƯỜNG: THCS MÔNG ÂN" -> "Trường THCS Mông Ân"; "TRƯỜNG TIỂU HỌC SỐ 2 QUẢNG PHÚ" -> "Trường Tiểu
    học số 2 Quảng Phú": the kind (an acronym or level words), "số N", then the name."""
    kind: list[str] = []
    words = line.split()[1:]
    while words:
        low = " ".join(words).lower()
        if words[0] in _SCHOOL_ACRONYMS:
            kind.append(_SCHOOL_ACRONYMS[words.pop(0)])
        elif _is_acronym(words[0]):
            kind.append(words.pop(0))
        elif k := next((k for k in _SCHOOL_KINDS if low == k or low.startswith(k + " ")), None):
            kind.append(k)
            words = words[len(k.split()) :]
        else:
            break
    rest = " ".join(words)
    number = re.match(r"SỐ\s+(\d+)\s*", rest)
    if number:
        kind.append(f"số {number.group(1)}")
        rest = rest[number.end() :]
    head = " ".join(kind)
    head = head[:1].upper() + head[1:] if head and not _is_acronym(kind[0]) else head
    return " ".join(x for x in ("Trường", head, rest.title()) if x)


def split_units(block: str) -> list[str]:
    """Cut a flattened upper-case block into its bodies, outermost first."""
    units, start = [], 0
    for m in _SPLIT_RE.finditer(block):
        before = block[start : m.start()].strip()
        # a complete body before the head: with a level and place, a ministry, a national organization
        # ("… VIỆT NAM"), a Party organization above its committee ("ĐẢNG BỘ …", the Central Committee)
        complete = _LEVEL_RE.search(before) or re.match(r"BỘ\s+\S+\s+\S", before)
        school = before.startswith(_OFFICES) and m.group().startswith("TRƯỜNG")
        cell = m.group().startswith(("CĐCS", "CHI BỘ", "CHI ĐOÀN"))  # a grassroots unit starts anew
        parent = before.startswith(_PARENT_ONLY) or school or cell
        if complete or before.endswith("VIỆT NAM") or parent:
            units.append(before)
            start = m.start()
    units.append(block[start:].strip())
    return [u for u in units if u]


def compose(org_lines: list[str]) -> str | None:
    """The issuing body named by the header's left block (lines outermost first)."""
    lines: list[str] = []
    for raw in org_lines:  # "ỦY BAN THƯỜNG VỤ" / "QUỐC HỘI": a central body's name wrapped, no parent
        raw = _CHAPTER_INLINE_RE.sub(lambda m: f" {_CHAPTER_LEVEL[m.group(1)]} ", raw)  # flattened cell
        chapter = _CHAPTER_RE.match(raw)
        if lines and key(raw) in _NAME_ENDS:
            lines[-1] = f"{lines[-1]} {raw}"
        elif lines and chapter and lines[-1].endswith(" VIỆT NAM"):  # "HỘI … VIỆT NAM" / "TỈNH HỘI X"
            level = _CHAPTER_LEVEL[chapter.group(1)]
            lines[-1] = f"{lines[-1][: -len(' VIỆT NAM')]} {level} {chapter.group(2)}"
        else:
            lines.append(raw)
    units: list[str] = []
    for raw in lines:
        for part in split_units(raw):
            cased = recase(part)
            if units and cased.startswith(LEVEL_WORDS):
                units[-1] = f"{units[-1]} {cased}"
            else:
                units.append(cased)
    if not units:
        return None
    grassroots = len(units) >= 2 and units[-1].startswith(_GRASSROOTS)
    if len(units) >= 2 and (key(units[-2]).startswith("dang bo") or grassroots):
        # "ĐẢNG BỘ TỈNH X" / "HUYỆN ỦY Y": the committee below its Party organization; a cell, a
        # grassroots union or Youth Union branch names itself whole ("ĐẢNG ỦY XÃ X" / "CHI BỘ MẦM NON")
        place = place_of(units[-2])
        unnamed = units[-1].lower().endswith(_SCHOOL_LEVELS) or units[-1].endswith(("THCS", "THPT", "MN"))
        return f"{units[-1]} {place[1]}" if place and unnamed else units[-1]
    central = len(units) >= 2 and key(units[-2]) == "ban chap hanh trung uong"
    if central and not _NATIONAL_RE.search(units[-1]):
        # "BAN CHẤP HÀNH TRUNG ƯƠNG" / "ỦY BAN KIỂM TRA": "Ủy ban Kiểm tra Trung ương", and the Central
        # Committee's office is "Văn phòng Trung ương Đảng"
        return f"{units[-1]} Trung ương" + (" Đảng" if key(units[-1]) == "van phong" else "")
    national = len(units) >= 2 and units[-2].endswith("Việt Nam") and units[-1].endswith("Việt Nam")
    if national and units[-1].startswith(_ORG_WORDS):
        return units[-1]  # "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM" / "CÔNG ĐOÀN GIÁO DỤC VIỆT NAM"
    if len(units) >= 2 and place_of(units[-1]) and _above(units[-2], units[-1]):
        return units[-1]  # "LIÊN ĐOÀN LAO ĐỘNG TỈNH X" / "LIÊN ĐOÀN LAO ĐỘNG HUYỆN Y": the lower body, whole
    if len(units) >= 2 and units[-1].startswith("Trường ") and _EDU_PARENT_RE.match(units[-2].lower()):
        return units[-1]  # "PHÒNG GD&ĐT BẢO LÂM" / "TRƯỜNG THCS MÔNG ÂN": the school
    if len(units) >= 2 and _ADMIN_PARENT_RE.match(units[-2].lower()):
        place = place_of(units[-2])
        inner = units[-1]
        if not place or key(place[1]) in key(inner):
            return inner
        level = "" if inner.lower().endswith(" " + place[0]) else f" {place[0]}"  # "Thư viện quận" + "5"
        return f"{inner}{level} {place[1]}"
    return " ".join(reversed(units))


def _above(parent: str, unit: str) -> bool:
    """``parent`` is a higher body than ``unit`` (which names its own level and place), not a part of
    its name: a body with a place of its own ("Tỉnh đoàn Thanh Hóa"), or the national organization the
    unit is a branch of ("Hội Nông dân Việt Nam" over "Hội Nông dân tỉnh An Giang")."""
    if place_of(parent) or parent.startswith(_NAMED_ORGS):
        return True
    national = key(re.sub(r"\s+Việt Nam$", "", parent))
    return parent.endswith("Việt Nam") and len(national.split()) >= 2 and national in key(unit)


def place_of(org: str) -> tuple[str, str] | None:
    """(level, place) named in an issuing body: "Ủy ban nhân dân tỉnh Nghệ An" -> ("tỉnh", "Nghệ An")."""
    for level in sorted(LEVEL_WORDS, key=len, reverse=True):
        # "quận 9", "tỉnh Bà Rịa - Vũng Tàu"
        m = re.search(rf"(?<!\w){level} ((?:[{UPPER}][^\s,;]*\s?|-\s(?=[{UPPER}]))+|\d{{1,2}}\b)", org)
        if m:
            return level, m.group(1).strip()
    return None


def complete(org: str | None, place: str | None) -> str | None:
    """Complete a name ending in a bare level ("Ban Thường vụ Tỉnh ủy") with the header's place."""
    if org and place and key(place) not in key(org) and org.endswith(LEVEL_ORGS):
        return f"{org} {place}"
    return org


_SUBJECT_WORDS = {
    "quốc hội": "Quốc hội", "chính phủ": "Chính phủ", "việt nam": "Việt Nam", "nhà nước": "Nhà nước",
    "đảng": "Đảng", "mặt trận tổ quốc": "Mặt trận Tổ quốc", "hội đồng nhân dân": "Hội đồng nhân dân",
    "ủy ban nhân dân": "Ủy ban nhân dân", "bộ quốc phòng": "Bộ Quốc phòng", "bộ công an": "Bộ Công an",
}  # fmt: skip


def sentence_case(text: str) -> str:
    """A trích yếu printed in capitals, in sentence case: acronyms, Roman numerals, proper bodies and
    places after a level word keep their capitals ("… KHÓA XVI TỈNH QUẢNG NINH" -> "… khóa XVI tỉnh
    Quảng Ninh")."""
    if not is_caps(text):
        return text
    words = [w if keeps_caps(w) else w.lower() for w in text.split()]
    low = " ".join(words)
    for phrase, cased in _SUBJECT_WORDS.items():
        low = re.sub(rf"(?<!\w){phrase}(?!\w)", cased, low)
    levels = "tỉnh|thành phố|huyện|xã|phường|thị xã|quận"
    low = re.sub(
        rf"(?<!\w)(?!xã hội\b)({levels}) ((?:(?!(?:{levels}|{_NOT_NAME})\b)[^\W\d_]+ ?){{1,3}})",
        lambda m: f"{m.group(1)} {m.group(2).title()}",
        low,
    )
    return low[:1].upper() + low[1:]


_NOT_NAME = "nhiệm|năm|giai|về|và|trên|đến|của|một|mỗi|các|những|trong|theo|cho|với|có|là"


def keeps_caps(word: str) -> bool:
    """Roman numerals ("XVI"), acronyms without vowels ("HĐND", "(MTTQ)") and acronyms in brackets
    ("(OCOP)") keep their capitals."""
    core = word.strip("(),.;:")
    if re.fullmatch(r"[IVXLC]+", core):
        return True
    if word.startswith("(") and 2 <= len(core) <= 8 and core.isalpha() and core.isupper():
        return True
    return len(core) >= 2 and core.isupper() and not any(v in key(core) for v in "aeiouy")


# The Youth Union and the Pioneers print their organization where the state prints its motto (right
# column) or above the issuing body: "ĐOÀN TNCS HỒ CHÍ MINH", "ĐỘI TNTP HỒ CHÍ MINH".
BANNER_RE = re.compile(
    r"^(?:ĐOÀN (?:TNCS|THANH NIÊN CỘNG SẢN) HỒ CHÍ MINH|ĐỘI (?:TNTP|THIẾU NIÊN TIỀN PHONG) HỒ CHÍ MINH)"
)


def with_banner(org: str | None, banner: str | None) -> str | None:
    """An issuer that does not name its organization ("BAN CHẤP HÀNH TRUNG ƯƠNG", "HỘI ĐỒNG TRUNG ƯƠNG")
    completed with the banner: "Ban Chấp hành Trung ương Đoàn TNCS Hồ Chí Minh"."""
    if not org or not banner or re.search(r"\b(?:doan|doi)\b", key(org)):
        return org
    return f"{org} {recase(banner)}"
