"""Province (tinh) of a local issuing body, old or new names (the 2025 mergers: 63 -> 34 provinces).

The 34 current provinces and their 3,321 communes/wards come from the maintained ``vietnam-provinces``
package; the 63 names in use before 1 July 2025 are listed here, so a 2020 plan of "Tỉnh ủy Hà Giang"
still reads "Hà Giang". Rules, in order:

1. a central body (no local level word in its name: "Bộ Xây dựng", "Chính phủ") has no province;
2. the province the issuing body names ("Ủy ban nhân dân tỉnh Nghệ An", "Tỉnh ủy Tuyên Quang");
3. the province most named as "tỉnh X"/"thành phố X" in the preamble (a commune plan implementing its
   province's plan: "… Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Quảng Ninh");
4. the province of the commune/ward the body names, when that name is unique in the country (when
   several provinces have a commune of that name, the one of them the text names most);
5. the province most named in the whole text.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from retrieval.document.header_lines import key

OLD_PROVINCES = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre",
    "Bình Dương", "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng",
    "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam",
    "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa",
    "Kiên Giang", "Kon Tum", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định",
    "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam",
    "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình",
    "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Hồ Chí Minh", "Tiền Giang", "Trà Vinh",
    "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)  # fmt: skip
_LOCAL_RE = re.compile(
    r"(?<!\w)(?:tinh|huyen|thanh pho|thi xa|quan|xa|phuong|thi tran|dac khu)\s+\S"
    r"|(?:tinh|huyen|thanh|thi|quan) uy\b"
    r"|\b(?:uy ban|hoi dong) nhan dan\b"  # only local government has them, level or not
)
_PLACE_RE = re.compile(
    r"(?<!\w)(?:(?:tỉnh|thành phố|Tỉnh|Thành phố|TỈNH|THÀNH PHỐ)(?:\s+(?:đoàn|Đoàn|ĐOÀN|ủy|ỦY))?|TP\.?)"
    r"\s+([^\W\d_][^,;.()\n]{1,30})"
)
_WARD_RE = re.compile(r"(?<!\w)(xã|phường|đặc khu|thị trấn)\s+([^\W\d_][^,;.()\n]{1,30})", re.I)


def _plain(name: str) -> str:
    return " ".join(key(re.sub(r"^(?:Thành phố|Tỉnh)\s+", "", name)).replace("-", " ").split())


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    """Accent-free key -> display name, old and new provinces (longest names first when matching)."""
    names = {_plain(n): n for n in OLD_PROVINCES}
    try:
        from vietnam_provinces import Province

        for p in Province.iter_all():
            short = re.sub(r"^(?:Thành phố|Tỉnh)\s+", "", p.name)
            names.setdefault(_plain(short), short)
    except ImportError:  # the package is a dependency; without it the old names still work
        pass
    names["hue"] = "Huế"
    names["tp ho chi minh"] = names["ho chi minh"] = "Hồ Chí Minh"
    return names


@lru_cache(maxsize=1)
def _wards() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        from vietnam_provinces import Province, Ward
    except ImportError:
        return out
    prov = {p.code: re.sub(r"^(?:Thành phố|Tỉnh)\s+", "", p.name) for p in Province.iter_all()}
    for w in Ward.iter_all():
        name = re.sub(r"^(?:Xã|Phường|Đặc khu|Thị trấn)\s+", "", w.name)
        out.setdefault(key(name), []).append(prov[w.province_code])
    return out


def province_in(text: str) -> str | None:
    """A province name at the start of ``text`` ("Nghệ An", "Quảng Ninh về …")."""
    words = key(text).replace("-", " ").split()
    for n in (4, 3, 2, 1):
        cand = " ".join(words[:n])
        if cand in _provinces():
            return _provinces()[cand]
    return None


def _named(text: str) -> list[str]:
    return [p for m in _PLACE_RE.finditer(text) if (p := province_in(m.group(1)))]


def is_local(org: str | None) -> bool:
    return bool(org) and bool(_LOCAL_RE.search(key(org or "")))


def province_of(org: str | None, preamble: str, text: str) -> str | None:
    """The province of the issuing body ``org`` (see the module docstring)."""
    if not is_local(org):
        return None
    assert org is not None
    named = _named(org) or [
        p for m in re.finditer(r"(?<!\w)(?:Tỉnh ủy|Thành ủy)\s+(.+)", org) if (p := province_in(m.group(1)))
    ]
    if named:
        return named[-1]
    if own := Counter(_named(preamble)).most_common(1):
        return own[0][0]
    named_anywhere = Counter(_named(text))
    for m in _WARD_RE.finditer(org):
        cands = set(_wards().get(key(m.group(2).strip()), []))
        if len(cands) == 1:
            return cands.pop()
        # An ambiguous commune name: the candidate province the text names most.
        if best := [(c, p) for p, c in named_anywhere.most_common() if p in cands]:
            return best[0][1]
    if anywhere := named_anywhere.most_common(1):
        return anywhere[0][0]
    return None
