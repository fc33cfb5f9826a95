"""Plan series: documents of one issuing body family on one recurring subject, across years.

"Kế hoạch học tập chuyên đề năm 2020 …" and "… chuyên đề năm 2021 …" of the same provincial Front
committee are one series; so are the yearly "thông tin, tuyên truyền về công tác xây dựng Đảng" plans
of a province. Pure functions over (doc_id, DocMetadata, title):

- ``body_family`` / ``level`` / ``province`` / ``doc_year``: who issued it, at which level, where, when;
- ``subject_key``: the trích yếu (else the title) with the document type, years, numbers, dates, quoted
  themes (which change every year), places and bodies removed, as accent-free syllables;
- ``same_series`` and ``link_series``: same family, same level and province when both are known, and
  subject keys that (nearly) contain one another.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from retrieval.types import DocMetadata

# Body families, most specific first; patterns are matched on accent-free lower-case text.
BODY_FAMILIES: tuple[tuple[str, str], ...] = (
    ("mttq", r"mat tran to quoc|\bmttq|ubmttq|uy ban mat tran"),
    ("doan_thanh_nien", r"doan thanh nien|tinh doan|thanh doan|huyen doan|doan tncs"),
    ("hoi_phu_nu", r"hoi lien hiep phu nu|hoi phu nu|\bhlhpn"),
    ("hoi_nong_dan", r"hoi nong dan"),
    ("hoi_cuu_chien_binh", r"hoi cuu chien binh|\bhccb"),
    ("cong_doan", r"lien doan lao dong|cong doan"),
    ("uy_ban_bau_cu", r"uy ban bau cu|ban bau cu|to bau cu"),
    ("hdnd", r"hoi dong nhan dan|\bhdnd"),
    ("ubnd", r"uy ban nhan dan|\bubnd"),
    ("quoc_hoi", r"quoc hoi"),
    ("chinh_phu", r"chinh phu|thu tuong"),
    (
        "dang_trung_uong",
        r"bo chinh tri|ban bi thu|ban chap hanh trung uong|ban (?:tuyen giao|dan van|to chuc) trung uong",
    ),
    ("dang_uy", r"tinh uy|thanh uy|huyen uy|quan uy|thi uy|dang uy|ban thuong vu|ban tuyen giao|ban dan van"),
)
# Trailing parts of a số/ký hiệu naming the issuer ("427-KH/TU" -> Tỉnh ủy).
CODE_FAMILIES = {
    "TU": "dang_uy",
    "HU": "dang_uy",
    "THU": "dang_uy",
    "ĐU": "dang_uy",
    "DU": "dang_uy",
    "TW": "dang_trung_uong",
    "MTTQ": "mttq",
    "UBND": "ubnd",
    "HĐND": "hdnd",
    "HDND": "hdnd",
    "CP": "chinh_phu",
    "TTG": "chinh_phu",
    "QH": "quoc_hoi",
}
LEVELS: tuple[tuple[str, str], ...] = (
    ("xa", r"\b(?:xa|phuong|thi tran)\b"),
    ("huyen", r"\b(?:huyen|thi xa)\b|huyen uy|quan uy|thi uy|\bquan \d|(?:nhan dan|mttq|to quoc) quan\b"),
    ("tinh", r"\btinh\b|tinh uy|thanh uy|thanh pho"),
    ("trung_uong", r"trung uong|chinh phu|quoc hoi|bo chinh tri|ban bi thu|\bbo\b"),
)
MIN_CONTAINMENT = 0.8  # share of the smaller subject key found in the larger
MIN_JACCARD = 0.4
HEAD = 3  # the first syllables of a subject say what it is about ("tiếp công dân …", "kiểm tra, giám sát …")
MIN_HEAD_COMMON = 2
_GENERIC_PHRASES = re.compile(
    r"\b(?:ke hoach|huong dan|chi thi|nghi quyet|quyet dinh|cong van|thong bao|chuong trinh|bao cao|"
    r"trien khai|thuc hien|to chuc|mot so|lan thu|giai doan|tiep tuc|doi voi)\b"
)
_GENERIC_WORDS = frozenset(
    ["cua", "ve", "va", "nam", "cac", "trong", "tren", "theo", "cho", "viec", "nhung", "ngay", "so", "tai"]
)
_PLACE_WORD = r"(?:tỉnh|thành phố|tp\.?|huyện|quận|thị xã|xã|phường|thị trấn)"
_QUOTED = re.compile(r"[“\"«][^”\"»]{3,}[”\"»]")
_DATE = re.compile(r"\b\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\b")
_YEAR = re.compile(r"(?<![\d/.-])(19[4-9]\d|20\d\d)(?![\d/])")


def plain(text: str) -> str:
    """Lower case without diacritics, one character per input character (offsets are preserved)."""
    out = []
    for ch in text.lower():
        base = unicodedata.normalize("NFD", ch)[:1] or ch
        out.append("d" if ch == "đ" else base)
    return "".join(out)


def body_family(co_quan: str | None, so_ky_hieu: str | None = None, title: str | None = None) -> str | None:
    """The issuing body's family ("mttq", "dang_uy", "ubnd", …) from the issuer, else the số/ký hiệu's
    issuer part, else the title; None when none of them says."""
    for text in (co_quan, None, title):
        if text is None and so_ky_hieu:
            parts = re.split(r"[-/]", so_ky_hieu.upper())
            for part in reversed(parts[1:]):
                if part in CODE_FAMILIES:
                    return CODE_FAMILIES[part]
            continue
        fam = family_in(text or "")
        if fam:
            return fam
    return None


def family_in(text: str) -> str | None:
    p = plain(text)
    return next((fam for fam, pat in BODY_FAMILIES if re.search(pat, p)), None)


def level(co_quan: str | None) -> str | None:
    p = plain(co_quan or "")
    return next((lv for lv, pat in LEVELS if re.search(pat, p)), None) if p else None


def province(md: DocMetadata) -> str | None:
    """The province of a local issuer (None for central bodies): catalogue ``tinh``, else the place
    of issue, else a province named in the issuer's name."""
    from retrieval.answer.scope import named_places

    if md.tinh:
        return md.tinh
    if level(md.co_quan_ban_hanh) == "trung_uong":
        return None
    if md.dia_danh:
        return md.dia_danh
    places = named_places(md.co_quan_ban_hanh or "")
    return places[0] if places else None


def doc_year(md: DocMetadata, title: str = "") -> int | None:
    """Year of issue, else the first year the trích yếu or title names ("chuyên đề năm 2020")."""
    if md.ngay_ban_hanh and _YEAR.match(md.ngay_ban_hanh[:4]):
        return int(md.ngay_ban_hanh[:4])
    m = _YEAR.search(md.trich_yeu or title or "")
    return int(m.group(1)) if m else None


def subject_key(md: DocMetadata, title: str = "") -> tuple[str, ...]:
    """Accent-free content syllables of what the document is about, in order, each once, without what
    changes from one year to the next (years, numbers, dates, quoted themes) and without who and
    where."""
    from retrieval.answer.scope import PROVINCES

    text = md.trich_yeu or title or ""
    without_quotes = _QUOTED.sub(" ", text)
    if len(re.findall(r"\w+", without_quotes)) >= 2:
        text = without_quotes
    text = _DATE.sub(" ", text)
    text = re.sub(r"\b[IVXLCDM]+\b", " ", text)  # "khóa XVI", "lần thứ XIII"
    text = re.sub(rf"\b{_PLACE_WORD}\s+(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s*){{1,3}}", " ", text, flags=re.IGNORECASE)
    p = plain(text)
    for name in PROVINCES:
        p = p.replace(plain(name), " ")
    for _, pat in BODY_FAMILIES:
        p = re.sub(pat, " ", p)
    words = re.findall(r"[a-z]+", _GENERIC_PHRASES.sub(" ", re.sub(r"\d+\S*", " ", p)))
    return tuple(dict.fromkeys(w for w in words if w not in _GENERIC_WORDS and len(w) > 1))


@dataclass(frozen=True)
class SeriesDoc:
    doc_id: str
    year: int | None
    family: str | None
    level: str | None
    province: str | None
    key: tuple[str, ...]


def profile(doc_id: str, md: DocMetadata, title: str = "") -> SeriesDoc:
    return SeriesDoc(
        doc_id,
        doc_year(md, title),
        body_family(md.co_quan_ban_hanh, md.so_ky_hieu, title),
        level(md.co_quan_ban_hanh),
        province(md),
        subject_key(md, title),
    )


def similar_subjects(a: Sequence[str], b: Sequence[str]) -> bool:
    """The same leading syllables, and the smaller key nearly contained in the larger."""
    if len(a) < 2 or len(b) < 2:
        return False
    if len(set(a[:HEAD]) & set(b[:HEAD])) < min(MIN_HEAD_COMMON, len(a), len(b)):
        return False
    sa, sb = set(a), set(b)
    common = len(sa & sb)
    return common / min(len(sa), len(sb)) >= MIN_CONTAINMENT and common / len(sa | sb) >= MIN_JACCARD


def same_series(a: SeriesDoc, b: SeriesDoc) -> bool:
    """One body family, same level and province where both are known, different years where both are
    known (a series runs across years), similar subjects."""
    if a.doc_id == b.doc_id or a.family is None or a.family != b.family:
        return False
    if a.year and b.year and a.year == b.year:
        return False
    for x, y in ((a.level, b.level), (a.province, b.province)):
        if x and y and plain(x) != plain(y):
            return False
    return similar_subjects(a.key, b.key)


@dataclass(frozen=True)
class Series:
    doc_ids: tuple[str, ...]  # ordered by year (unknown years last), then doc_id
    years: tuple[int | None, ...]
    family: str
    subject: tuple[str, ...]  # syllables shared by all members' subject keys, sorted


def link_series(docs: Iterable[tuple[str, DocMetadata, str]]) -> list[Series]:
    """Every series of two or more documents among (doc_id, metadata, title) triples."""
    profiles = [profile(d, md, t) for d, md, t in docs]
    parent = list(range(len(profiles)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_family: dict[str, list[int]] = {}  # only documents of one body family can be a series
    for i, p in enumerate(profiles):
        if p.family and len(p.key) >= 2:
            by_family.setdefault(p.family, []).append(i)
    for members in by_family.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if same_series(profiles[i], profiles[j]):
                    parent[root(j)] = root(i)
    groups: dict[int, list[SeriesDoc]] = {}
    for i, p in enumerate(profiles):
        groups.setdefault(root(i), []).append(p)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda p: (p.year is None, p.year or 0, p.doc_id))
        shared = set.intersection(*(set(m.key) for m in members))
        out.append(
            Series(
                tuple(m.doc_id for m in members),
                tuple(m.year for m in members),
                members[0].family or "",
                tuple(sorted(shared)),
            )
        )
    out.sort(key=lambda s: s.doc_ids)
    return out


def series_of(doc_id: str, series: Sequence[Series]) -> Series | None:
    return next((s for s in series if doc_id in s.doc_ids), None)
