"""From a question or two command-line references to a comparison of two indexed documents.

- ``compare_question(question, catalogue) -> (doc_id, doc_id) | None``: a question asking to compare
  ("So sánh …", "đối chiếu …", "… khác nhau thế nào", "điểm mới …") whose two sides, split at "và" /
  "với" / "so với", each name one document of the catalogue by number, or by body, province, year
  and subject words. What one side leaves out (the year, the kind of plan) is taken from the whole
  question: "So sánh kế hoạch chuyên đề năm 2020 của Tỉnh ủy Kiên Giang và của MTTQ Khánh Hòa".
- ``resolve_reference(ref, catalogue)``: doc_id, source path (or its file name) or số/ký hiệu.
- ``comparison_for`` / ``comparison_answer``: the Comparison of two stored documents, and the same as
  an ``Answer`` whose [n] citations are exact document spans.

A catalogue is a mapping doc_id -> stored document (anything with ``source``, ``title``,
``metadata``, ``text``), e.g. ``Searcher.documents``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from retrieval.answer.compare import CompareDoc, Comparison, compare_documents, render
from retrieval.answer.result import Answer, Citation
from retrieval.answer.scope import named_places
from retrieval.catalog.series import family_in, link_series, plain, profile, same_series, series_of
from retrieval.query import number_refs

_TRIGGER = re.compile(
    r"\b(?:so sanh|doi chieu|khac nhau|khac gi|diem moi|gi moi|giong va khac|giong nhau|thay doi gi)\b"
)
_PREVIOUS = re.compile(r"\b(?:nam truoc|nam ngoai|ky truoc|lan truoc|ke hoach truoc)\b")
_NEXT = re.compile(r"\b(?:nam sau|ky sau|lan sau|ke hoach sau)\b")
_SEPARATOR = re.compile(r"\s+(?:so voi|voi|va)\s+")
_YEAR = re.compile(r"(?<![\d/.-])(19[4-9]\d|20\d\d)(?![\d/])")
_FILLER = frozenset(
    [
        "so",
        "sanh",
        "doi",
        "chieu",
        "khac",
        "nhau",
        "gi",
        "giong",
        "diem",
        "moi",
        "cua",
        "giua",
        "hai",
        "cac",
        "van",
        "ban",
        "ke",
        "hoach",
        "nam",
        "the",
        "nao",
        "nhu",
        "ra",
        "sao",
        "thi",
        "va",
        "voi",
    ]
)
MIN_SCORE = 3.0


def is_compare_question(question: str) -> bool:
    return _TRIGGER.search(plain(question)) is not None


def _entries(catalogue: Mapping[str, Any] | Sequence[Any]) -> list[Any]:
    """The catalogue's documents, copies of an indexed document left out."""
    docs = catalogue.values() if isinstance(catalogue, Mapping) else catalogue
    return [d for d in docs if not getattr(d, "duplicate_of", None)]


_OLD_TONES = {
    "òa": "oà",
    "óa": "oá",
    "ỏa": "oả",
    "õa": "oã",
    "ọa": "oạ",
    "ùy": "uỳ",
    "úy": "uý",
    "ủy": "uỷ",
    "ũy": "uỹ",
    "ụy": "uỵ",
}


def _name_pattern(name: str) -> str:
    """Accented, case-insensitive pattern of a place name, either tone-mark convention ("Hòa"/"Hoà").
    Accents matter: "diễn biến" is not "Điện Biên"."""
    out = re.escape(name.lower())
    for new, old in _OLD_TONES.items():
        out = out.replace(new, f"(?:{new}|{old})")
    return out.replace(r"\ ", r"\s+")


@lru_cache(maxsize=4096)
def _text_province(text: str) -> str | None:
    """The province a document's text names most (for documents whose header does not say). A name
    followed by another capitalised word is part of a longer proper name, not the province."""
    from retrieval.answer.scope import _NEEDS_PREFIX, PROVINCES

    counts: Counter[str] = Counter()
    for name in PROVINCES:
        prefix = r"(?:thành phố|tp\.?)\s+" if name in _NEEDS_PREFIX else ""  # "Hồ Chí Minh": the person
        for m in re.finditer(rf"\b{prefix}{_name_pattern(name)}\b", text, re.IGNORECASE):
            if not re.match(r"\s+[A-ZĐÀ-Ỹ]", text[m.end() : m.end() + 3]):
                counts[name] += 1
    return counts.most_common(1)[0][0] if counts else None


def same_number(ref: Any, so_ky_hieu: str | None) -> bool:
    """A number reference names this số/ký hiệu ("37/KH-MTTQ-BTT" = "37-KH/MTTQ/BTT")."""
    if not so_ky_hieu:
        return False
    if ref.full:
        unify = lambda x: re.sub(r"\s*[-/]\s*", "-", x.upper())  # noqa: E731
        return unify(ref.full) == unify(so_ky_hieu)
    return ref.matches(so_ky_hieu)


def _doc_facts(doc: Any) -> tuple[Any, str | None]:
    prof = profile(doc.doc_id, doc.metadata, doc.title)
    prov = prof.province or _text_province(getattr(doc, "text", "") or "")
    return prof, prov


def _side_score(side: str, whole: str, doc: Any) -> float:
    """How well one side of the question names ``doc``; what the side lacks comes from ``whole``."""
    prof, prov = _doc_facts(doc)
    score = 0.0
    refs = number_refs(side)
    if refs:
        if any(same_number(r, doc.metadata.so_ky_hieu) for r in refs):
            return 20.0
        score -= 5.0
    years = _YEAR.findall(side) or _YEAR.findall(whole)
    if years and prof.year:
        score += 3.0 if str(prof.year) in years else -5.0
    places = named_places(side) or (named_places(whole) if len(set(named_places(whole))) == 1 else [])
    if places and prov:
        score += 3.0 if plain(prov) in {plain(p) for p in places} else -5.0
    fam = family_in(side) or (family_in(whole) if _single_family(whole) else None)
    if fam and prof.family:
        score += 3.0 if fam == prof.family else -5.0
    words = {w for w in re.findall(r"[a-z]+", plain(whole)) if w not in _FILLER and len(w) > 1}
    if words:
        score += 2.0 * len(words & set(prof.key)) / len(words)
    return score


def _single_family(text: str) -> bool:
    parts = _SEPARATOR.split(plain(text))
    return len({family_in(p) for p in parts if family_in(p)}) <= 1


def _best(side: str, whole: str, docs: Sequence[Any]) -> str | None:
    scored = sorted(((_side_score(side, whole, d), d.doc_id) for d in docs), reverse=True)
    if not scored or scored[0][0] < MIN_SCORE:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0]:
        return None  # two documents fit equally well: ask rather than guess
    return scored[0][1]


def compare_question(question: str, catalogue: Mapping[str, Any] | Sequence[Any]) -> tuple[str, str] | None:
    """The two documents a comparison question names, or None (not a comparison, or not two
    documents the catalogue holds)."""
    if not is_compare_question(question):
        return None
    docs = _entries(catalogue)
    text = question.strip().rstrip("?.! ")
    low = plain(text)
    for m in _SEPARATOR.finditer(low):
        left, right = text[: m.start()], text[m.end() :]
        a, b = _best(left, text, docs), _best(right, text, docs)
        if a and b and a != b:
            return a, b
    return _series_neighbour(text, docs)


def _series_neighbour(text: str, docs: Sequence[Any]) -> tuple[str, str] | None:
    """ "… so với năm trước / năm sau": the named document and its neighbour in its plan series,
    older first."""
    low = plain(text)
    step = -1 if _PREVIOUS.search(low) else 1 if _NEXT.search(low) else 0
    if not step:
        return None
    side = text
    for m in (*_PREVIOUS.finditer(low), *_NEXT.finditer(low)):  # plain() keeps offsets
        side = side[: m.start()] + " " * (m.end() - m.start()) + side[m.end() :]
    named = _best(side, text, docs)
    if named is None:
        return None
    found = series_of(named, link_series((d.doc_id, d.metadata, d.title) for d in docs))
    if found is None:
        return None
    i = found.doc_ids.index(named) + step
    if not 0 <= i < len(found.doc_ids):
        return None
    other = found.doc_ids[i]
    return (other, named) if step < 0 else (named, other)


def resolve_reference(ref: str, catalogue: Mapping[str, Any] | Sequence[Any]) -> str | None:
    """doc_id, source path (or file name) or số/ký hiệu -> doc_id; None when not exactly one."""
    docs = _entries(catalogue)
    ref = ref.strip()
    for doc in docs:
        if ref in (doc.doc_id, doc.source):
            return doc.doc_id
    by_name = [d.doc_id for d in docs if d.source.rsplit("/", 1)[-1] == ref.rsplit("/", 1)[-1]]
    if len(by_name) == 1:
        return by_name[0]
    refs = number_refs(ref) or number_refs(f"số {ref}")
    hits = [d.doc_id for d in docs if any(same_number(r, d.metadata.so_ky_hieu) for r in refs)]
    return hits[0] if len(hits) == 1 else None


def compare_doc(doc: Any) -> CompareDoc:
    """A stored document re-parsed for its section tree (spans index ``doc.text``)."""
    from retrieval.structure import parse_document

    parsed = parse_document(doc.raw, doc.doc_id)
    return CompareDoc(doc.doc_id, doc.source, doc.title, doc.metadata, doc.text, parsed.blocks)


def comparison_for(doc_a: Any, doc_b: Any) -> Comparison:
    pa, pb = (
        profile(doc_a.doc_id, doc_a.metadata, doc_a.title),
        profile(doc_b.doc_id, doc_b.metadata, doc_b.title),
    )
    return compare_documents(compare_doc(doc_a), compare_doc(doc_b), same_series(pa, pb))


def _chunk_id(chunks: Sequence[Any], doc_id: str, start: int) -> str:
    for c in chunks:
        if c.doc_id == doc_id and c.start <= start < c.end:
            return c.chunk_id
    return f"{doc_id}#?"


def comparison_answer(question: str, doc_a: Any, doc_b: Any, chunks: Sequence[Any] = ()) -> Answer:
    """The comparison as an Answer: the table text with [n] markers, each an exact document span."""
    t0 = time.perf_counter()
    shown = render(comparison_for(doc_a, doc_b))
    citations = tuple(
        Citation(
            n, _chunk_id(chunks, it.doc_id, it.start), it.doc_id, it.source, it.quote, it.start, it.end, True
        )
        for n, it in enumerate(shown.cited, start=1)
    )
    return Answer(
        question=question,
        answer=shown.text,
        refused=False,
        citations=citations,
        backend="extractive",
        requested_backend="compare",
        seconds=time.perf_counter() - t0,
    )
