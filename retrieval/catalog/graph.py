"""Catalogue entries and the reference graph between documents.

Each stored document becomes a ``DocEntry`` (metadata, year, province, number key). The graph reads
every mention of a document number in each document ("Chỉ thị số 05-CT/TW", "Kế hoạch số 159-KH/TU
ngày 05/7/2023 của Tỉnh ủy Khánh Hòa"), marks the preamble ones ("Căn cứ …", "Thực hiện …", and the
numbers of ``DocMetadata.references``), and resolves each to a document of the corpus when one
matches: by normalized number, or — when the mention has no number — by type + date + issuer.
Unresolved mentions stay external references (number, type, issuer, date as cited).

Both directions: ``implements(doc_id)`` (the preamble's documents) and ``citing(key)`` (the documents
that implement or mention a number). Built from the stored documents at load; pure and cheap.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from retrieval.answer.normalize import fold
from retrieval.answer.scope import named_places
from retrieval.query import DOC_TYPES
from retrieval.types import DocMetadata, Span

# "05-CT/TW", "05 -CT/TW", "37/KH-MTTQ-BTT", "85/2015/QH13", "402/QĐ-TTg" (never a date "15/6/2020").
NUMBER = re.compile(
    r"(?<![\w/])(\d{1,5})\s*[-/]\s*((?:(?:19|20)\d\d\s*[-/]\s*)?[A-ZĐ][\wĐđ]*(?:\s*[-/]\s*[A-ZĐ0-9][\wĐđ]*){0,5})"
)
_TYPE_WORDS = "|".join(sorted((t for t in DOC_TYPES), key=len, reverse=True)) + "|luật|thông tư|nghị định"
_TYPE_BEFORE = re.compile(rf"({_TYPE_WORDS})\s*(?:liên tịch\s*)?(?:số\s*)?[:.]?\s*$", re.IGNORECASE)
_DATE_AFTER = re.compile(r"^\s*,?\s*(?:ngày|ngay)\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_ISSUER_AFTER = re.compile(
    r"^\s*(?:của|do)\s+([^,;:.()“”\"\n]{3,90}?)(?=\s+(?:về|v/v|ban hành|năm|,|;|\.|\()|$)"
)
_PREAMBLE_START = re.compile(
    r"^\s*[-–•*]?\s*(?:căn cứ|thực hiện|triển khai|theo|quán triệt)\b", re.IGNORECASE
)
_FIRST_HEADING = re.compile(r"^\s*\**\s*(?:I|1)\s*[.\-–)]\s*\S", re.MULTILINE)
_NUMBERLESS = re.compile(
    rf"\b({_TYPE_WORDS})\s+(?:(?!số)[^\n,;]{{0,60}}?)?(?:,\s*)?ngày\s*(\d{{1,2}})\s*[/.-]\s*(\d{{1,2}})\s*[/.-]\s*"
    r"(\d{4})\s+của\s+([^,;:.()\n]{3,90}?)(?=\s+(?:về|v/v)|[,;.(]|$)",
    re.IGNORECASE,
)
_NUMBERLESS_ANCHOR = re.compile(r"ngày\s*\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}\s+của", re.IGNORECASE)
_PROVINCE_CUE = re.compile(
    r"\b(?:tỉnh|tỉnh ủy|tỉnh uỷ|thành phố|thành ủy)\s+((?:\w+\s+){1,3})", re.IGNORECASE
)
_YEAR_IN_TITLE = re.compile(r"\bnăm\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR_ANY = re.compile(r"(?:/|\bnăm\s+)((?:19|20)\d\d)\b", re.IGNORECASE)


def number_key(number: str | None) -> str | None:
    """Canonical form of a số/ký hiệu: "05 - CT/TW" -> "5-CT-TW", "37/KH-MTTQ-BTT" -> "37-KH-MTTQ-BTT"."""
    if not number:
        return None
    m = re.match(r"\s*0*(\d+)\s*[-/]\s*(.+)", number)
    if not m:
        return None
    parts = [p for p in re.split(r"\s*[-/]\s*", m.group(2).strip()) if p]
    # upper case, Đ as D: "ND-CP" typed without diacritics is "NĐ-CP"
    return "-".join([m.group(1) or "0", *(p.upper().replace("Đ", "D") for p in parts)])


def key_matches(query_key: str, doc_key: str | None) -> bool:
    """A query key matches a document key when equal, or when the query gives a prefix of it
    ("427-KH" of "427-KH-TU"): the number and the type initials the question named."""
    if not doc_key:
        return False
    return doc_key == query_key or doc_key.startswith(query_key + "-")


@dataclass(frozen=True)
class DocEntry:
    doc_id: str
    source: str
    title: str
    metadata: DocMetadata
    year: int | None  # issue year; else the year the title names; else the body's most cited year
    year_inferred: bool
    province: str | None
    key: str | None  # number_key(so_ky_hieu)

    def label(self) -> str:
        """ "Kế hoạch số 37/KH-MTTQ-BTT ngày 4/2/2020 của …" as far as the catalogue knows it."""
        md = self.metadata
        parts = [md.loai_van_ban or "Văn bản"]
        if md.so_ky_hieu:
            parts.append(f"số {md.so_ky_hieu}")
        if md.ngay_ban_hanh:
            y, m, d = md.ngay_ban_hanh.split("-")
            parts.append(f"ngày {int(d)}/{int(m)}/{y}")
        if md.co_quan_ban_hanh:
            parts.append(f"của {md.co_quan_ban_hanh}")
        return " ".join(parts)


@dataclass(frozen=True)
class Reference:
    source_doc: str  # the document whose text cites
    span: Span  # where, in that document's text
    number: str | None  # as cited (None for a mention by type + date + issuer)
    key: str | None
    doc_type: str | None  # "Chỉ thị"
    issuer: str | None  # "Bộ Chính trị"
    date: str | None  # ISO, as cited
    preamble: bool  # in "Căn cứ …"/"Thực hiện …" or in DocMetadata.references
    target: str | None = None  # doc_id of the corpus document it resolves to; None = external


@dataclass(frozen=True)
class ReferenceGraph:
    entries: dict[str, DocEntry]
    references: dict[str, tuple[Reference, ...]] = field(default_factory=dict)  # by source_doc

    def implements(self, doc_id: str) -> tuple[Reference, ...]:
        """The documents ``doc_id``'s preamble cites (resolved or external), in text order."""
        return tuple(r for r in self.references.get(doc_id, ()) if r.preamble)

    def citing(self, key: str, preamble_only: bool = False) -> dict[str, tuple[Reference, ...]]:
        """Documents citing number ``key`` (or a document matching it), each with its mentions;
        preamble citations ("implemented by") come first within a document."""
        targets = {d for d, e in self.entries.items() if key_matches(key, e.key)}
        out: dict[str, list[Reference]] = defaultdict(list)
        for doc_id, refs in self.references.items():
            for r in refs:
                hit = (r.key is not None and key_matches(key, r.key)) or (r.target in targets and r.target)
                if hit and r.target != doc_id and (r.preamble or not preamble_only):
                    out[doc_id].append(r)
        return {d: tuple(sorted(rs, key=lambda r: (not r.preamble, r.span))) for d, rs in out.items()}

    def implemented_by(self, doc_id: str) -> tuple[str, ...]:
        return tuple(
            d for d, refs in self.references.items() for r in refs if r.preamble and r.target == doc_id
        )

    def find(self, key: str) -> list[DocEntry]:
        return [e for e in self.entries.values() if key_matches(key, e.key)]


def _iso(d: str, m: str, y: str) -> str | None:
    if not (1 <= int(d) <= 31 and 1 <= int(m) <= 12):
        return None
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _infer_year(md: DocMetadata, title: str, text: str) -> tuple[int | None, bool]:
    if md.ngay_ban_hanh:
        return int(md.ngay_ban_hanh[:4]), False
    for t in (md.trich_yeu or "", title):
        m = _YEAR_IN_TITLE.search(t)
        if m:
            return int(m.group(1)), True
    years = Counter(int(y) for y in _YEAR_ANY.findall(text))
    return (years.most_common(1)[0][0], True) if years else (None, True)


def _province(md: DocMetadata, text: str) -> str | None:
    if md.tinh:
        return md.tinh
    for t in (md.co_quan_ban_hanh, md.dia_danh):
        places = named_places(t or "")
        if places:
            return places[0]
    # "tỉnh Kiên Giang", "Tỉnh ủy Khánh Hòa" name the document's own province; a bare name may be a
    # place the text talks about ("Chiến thắng Điện Biên Phủ")
    owned = Counter(p for m in _PROVINCE_CUE.finditer(text) for p in named_places(m.group(1))[:1])
    if owned:
        return owned.most_common(1)[0][0]
    counts = Counter(named_places(text[:4000]) + named_places(text[-3000:]))
    return counts.most_common(1)[0][0] if counts else None


def make_entry(doc: Any) -> DocEntry:
    """A catalogue entry from a stored document (anything with doc_id, source, title, metadata, text)."""
    md: DocMetadata = doc.metadata
    year, inferred = _infer_year(md, doc.title, doc.text)
    return DocEntry(
        doc.doc_id,
        doc.source,
        doc.title,
        md,
        year,
        inferred,
        _province(md, doc.text),
        number_key(md.so_ky_hieu),
    )


def preamble_region(text: str) -> Span:
    """From the start of the document to its first top-level heading ("I." / "1."), the part where
    "Căn cứ …"/"Thực hiện …" name what the document implements."""
    m = _FIRST_HEADING.search(text)
    end = m.start() if m else min(len(text), 3000)
    return 0, end


def _line_at(text: str, pos: int) -> str:
    return text[text.rfind("\n", 0, pos) + 1 : pos]


def mentions(doc_id: str, text: str, declared: Iterable[str] = ()) -> list[Reference]:
    """Every numbered mention in ``text`` (and number-less "<type> … ngày d/m/y của <issuer>" ones)."""
    declared_keys = {number_key(r) for r in declared}
    _, pre_end = preamble_region(text)
    out: list[Reference] = []
    for m in NUMBER.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        tm = _TYPE_BEFORE.search(before)
        dm = _DATE_AFTER.match(text[m.end() : m.end() + 30])
        after = text[m.end() + (dm.end() if dm else 0) : m.end() + 160]
        im = _ISSUER_AFTER.match(after)
        number = re.sub(r"\s+", "", m.group(0))
        key = number_key(number)
        if key is None or len(key.split("-")) < 2 or not tm and not re.search(r"[A-ZĐ]{2}", m.group(2)):
            continue
        in_preamble = m.start() < pre_end and bool(_PREAMBLE_START.match(_line_at(text, m.start())))
        out.append(
            Reference(
                doc_id,
                (m.start(), m.end()),
                number,
                key,
                tm.group(1).capitalize() if tm else None,
                im.group(1).strip() if im else None,
                _iso(*dm.groups()) if dm else None,
                in_preamble or key in declared_keys,
            )
        )
    taken = [r.span for r in out]
    for m in _numberless(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        in_preamble = m.start() < pre_end and bool(_PREAMBLE_START.match(_line_at(text, m.start())))
        date = _iso(m.group(2), m.group(3), m.group(4))
        out.append(
            Reference(
                doc_id, m.span(), None, None, m.group(1).capitalize(), m.group(5).strip(), date, in_preamble
            )
        )
    return sorted(out, key=lambda r: r.span)


@dataclass(frozen=True)
class _Lookup:
    """Entries by number key and by (date, folded type): resolving a reference reads a few entries,
    not the whole catalogue (an archive of 10,000 documents cites ~50,000 numbers)."""

    by_key: dict[str, list[DocEntry]]
    by_date_type: dict[tuple[str, str], list[DocEntry]]

    @classmethod
    def of(cls, entries: Iterable[DocEntry]) -> _Lookup:
        by_key: dict[str, list[DocEntry]] = defaultdict(list)
        by_date_type: dict[tuple[str, str], list[DocEntry]] = defaultdict(list)
        for e in entries:
            if e.key:
                by_key[e.key].append(e)
            if e.metadata.ngay_ban_hanh:
                by_date_type[(e.metadata.ngay_ban_hanh, _type_key(e.metadata.loai_van_ban))].append(e)
        return cls(dict(by_key), dict(by_date_type))


def _type_key(doc_type: str | None) -> str:
    return fold(doc_type or "").lower()


def _numberless(text: str) -> Iterator[re.Match[str]]:
    """``_NUMBERLESS.finditer(text)``, searched only around the "ngày d/m/y của" each match holds (its
    type word is at most ~100 characters before): the same matches, without trying the type-word
    alternation at every position of a long law (0.32 s of the 0.54 s all mentions of the real set took)."""
    pos = 0
    for a in _NUMBERLESS_ANCHOR.finditer(text):
        if a.end() <= pos:
            continue
        for m in _NUMBERLESS.finditer(text, max(pos, a.start() - 160), a.end() + 120):
            if m.start() >= pos and a.start() <= m.start(2) < a.end():  # this anchor's own match
                pos = m.end()
                yield m


def _resolve(ref: Reference, lookup: _Lookup) -> str | None:
    if ref.key:
        found = lookup.by_key.get(ref.key, [])
        return found[0].doc_id if len(found) == 1 else None
    if not (ref.doc_type and ref.date):
        return None
    found = [
        e.doc_id
        for e in lookup.by_date_type.get((ref.date, _type_key(ref.doc_type)), [])
        if e.doc_id != ref.source_doc and _issuer_agrees(ref.issuer, e)
    ]
    return found[0] if len(found) == 1 else None


def _issuer_agrees(issuer: str | None, e: DocEntry) -> bool:
    if not issuer:
        return True
    said = set(fold(issuer).lower().split())
    have = set(fold(" ".join(x for x in (e.metadata.co_quan_ban_hanh, e.province) if x)).lower().split())
    return len(said & have) >= 0.6 * len(said)


def build_graph(documents: Iterable[Any]) -> ReferenceGraph:
    docs = list(documents)
    entries = {d.doc_id: make_entry(d) for d in docs}
    lookup = _Lookup.of(entries.values())
    refs: dict[str, tuple[Reference, ...]] = {}
    for d in docs:
        found = mentions(d.doc_id, d.text, d.metadata.references)
        refs[d.doc_id] = tuple(_with_target(r, lookup) for r in found)
    return ReferenceGraph(entries, refs)


def _with_target(ref: Reference, lookup: _Lookup) -> Reference:
    target = _resolve(ref, lookup)
    if target == ref.source_doc:  # a document's own number in its header
        target = None
        return Reference(**{**ref.__dict__, "preamble": False, "target": None, "key": None})
    return Reference(**{**ref.__dict__, "target": target})
