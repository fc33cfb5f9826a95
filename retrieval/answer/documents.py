"""Answers about documents rather than passages: a metadata field of one document (người ký, ngày ban
hành, cơ quan, số/ký hiệu, trích yếu, căn cứ), lists of documents, documents citing a number, counts.

The catalogue (retrieval/catalog/graph.py) decides which documents answer; every line shown is then a
verbatim line of a document — the header (số, ngày, cơ quan, trích yếu), the signature block or the
sentence that cites the number — under its [n] marker, so ``check_answer`` verifies it like any other
answer. Fact-free lead lines ("Kế hoạch của Ban Thường vụ Tỉnh ủy Tuyên Quang:") group the lines of
one document; what only the catalogue knows (how many documents, a field the document leaves blank)
goes in the summary or the notes, never under a citation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.answer.evidence import find_evidence
from retrieval.answer.facts import _FUNCTION_WORDS, content_syllables, extract_facts
from retrieval.answer.normalize import fold, norm, normalize
from retrieval.answer.passages import Passage
from retrieval.catalog.graph import DocEntry, ReferenceGraph, build_graph, key_matches, number_key
from retrieval.chunking import HEADER_PATH, SIGNATURE_PATH
from retrieval.types import Chunk, SearchHit, Span
from retrieval.understand import FIELD_LABELS, Understanding

MAX_LISTED = 12
_DATE_LINE = re.compile(r"ngày\s*\**\s*[\d.…_ ]*\**\s*tháng\s*[\d.…_ ]*\s*năm\s*\d{4}", re.IGNORECASE)
_NUMBER_LINE = re.compile(r"^\s*\**\s*(?:số|ký hiệu|so)\b", re.IGNORECASE)
# Words of the question that ask for a list/filter, not for a topic.
_NOT_TOPIC_TEXT = (
    "nhiêu liệt kê danh sách ban hành những nào văn bản kế hoạch hướng dẫn chỉ thị nghị quyết định năm "
    "tỉnh thành phố ủy mttq mặt trận tổ quốc việt nam thường vụ trực hiện có gì ngoái nay tới giai đoạn "
    "đến từ các mấy đếm tổng số cộng lượng trước sau được đã đây lại kể hiện nay"
)
# (function words folded too: a question typed without diacritics keeps "cua", "nao" …)
_NOT_TOPIC = frozenset(fold(w) for w in (_NOT_TOPIC_TEXT + " " + _FUNCTION_WORDS).split())
_FIELD_WORDS = frozenset(
    fold(w)
    for w in [
        "ai",
        "ký",
        "người",
        "tên",
        "ngày",
        "ban",
        "hành",
        "khi",
        "nào",
        "cơ",
        "quan",
        "đơn",
        "vị",
        "số",
        "hiệu",
        "ký",
        "hiệu",
        "trích",
        "yếu",
        "căn",
        "cứ",
    ]
)


@dataclass(frozen=True)
class DocAnswer:
    """Answer text with [n] markers over ``passages``; ``summary`` and ``notes`` come from the catalogue."""

    text: str
    passages: tuple[Passage, ...]
    summary: str = ""
    notes: tuple[str, ...] = ()
    refusal: str | None = None  # a reason to refuse instead (number not in the corpus …)


# ---------------------------------------------------------------------------- catalogue access
def graph_of(searcher: Any) -> ReferenceGraph:
    """The reference graph of the searcher's documents, built once per searcher (cheap)."""
    graph = getattr(searcher, "_tracuu_graph", None)
    if graph is None:
        graph = build_graph(searcher.documents.values())
        searcher._tracuu_graph = graph
    return graph


def _chunks_by_doc(searcher: Any) -> dict[str, list[Chunk]]:
    by_doc = getattr(searcher, "_tracuu_chunks_by_doc", None)
    if by_doc is None:
        by_doc = defaultdict(list)
        for c in searcher.chunks:
            by_doc[c.doc_id].append(c)
        searcher._tracuu_chunks_by_doc = by_doc
    return by_doc


def filtered_docs(u: Understanding, graph: ReferenceGraph) -> tuple[str, ...] | None:
    """Documents passing the question's year/province/body filters; None when it names none."""
    if not u.has_filters:
        return None
    out = []
    for e in graph.entries.values():
        if u.year_from and (e.year is None or e.year < u.year_from):
            continue
        if u.year_to and (e.year is None or e.year > u.year_to):
            continue
        if u.provinces and e.province not in u.provinces:
            continue
        cq = (e.metadata.co_quan_ban_hanh or "").lower()
        if u.body_keys and cq and not any(k in cq for k in u.body_keys):
            continue
        out.append(e.doc_id)
    return tuple(out)


def newest_first(entries: Sequence[DocEntry]) -> list[DocEntry]:
    return sorted(
        entries, key=lambda e: (e.metadata.ngay_ban_hanh or str(e.year or 0), e.doc_id), reverse=True
    )


class _Passages:
    """Numbers chunks as passages 1..N in the order they are first cited."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.items: list[Passage] = []

    def of(self, chunk: Chunk) -> Passage:
        for p in self.items:
            if p.chunk_id == chunk.chunk_id:
                return p
        doc = self.searcher.documents[chunk.doc_id]
        hit = SearchHit(
            rank=len(self.items) + 1,
            score=0.0,
            chunk=chunk,
            display_text=doc.text[chunk.start : chunk.end],
            metadata=doc.metadata,
            title=doc.title,
            footnote_texts=tuple(doc.text[s:e] for s, e in chunk.footnote_spans),
        )
        p = Passage.from_hit(len(self.items) + 1, hit)
        self.items.append(p)
        return p


def _meta_chunk(searcher: Any, doc_id: str, path: tuple[str, ...]) -> Chunk | None:
    return next((c for c in _chunks_by_doc(searcher).get(doc_id, ()) if c.heading_path == path), None)


def _chunk_at(searcher: Any, doc_id: str, pos: int) -> Chunk | None:
    for c in _chunks_by_doc(searcher).get(doc_id, ()):
        if any(s <= pos < e for s, e in (*c.spans, *c.footnote_spans)):
            return c
    return None


def _line(p: Passage, span: Span) -> str:
    return " ".join(p.quote(span).replace("*", " ").split())


def _cited(p: Passage, span: Span) -> str | None:
    """The line for ``span`` with its marker, if the citation check will accept it."""
    claim = _line(p, span)
    if not claim or not find_evidence(claim, p).supports:
        return None
    return f"- {claim} [{p.n}]"


def _find_in(p: Passage, value: str | None) -> Span | None:
    """Span of the first sentence/line of ``p`` that contains ``value`` (normalized comparison)."""
    if not value:
        return None
    want = norm(value)
    for span in p.sentences:
        if want in norm(p.quote(span)):
            return span
    return None


def _header_lines(p: Passage | None, e: DocEntry, field: str) -> list[str]:
    """Verbatim header lines stating ``field`` of the document, with markers."""
    if p is None:
        return []
    md = e.metadata
    spans: list[Span] = []
    if field == "so_ky_hieu" and md.so_ky_hieu:
        spans = [
            s
            for s in p.sentences
            if _NUMBER_LINE.match(p.quote(s)) and number_key(_code(p.quote(s))) == e.key
        ]
        spans = spans[:1] or [s for s in [_find_in(p, md.so_ky_hieu)] if s]
    elif field == "ngay_ban_hanh":
        spans = [s for s in p.sentences if _DATE_LINE.search(p.quote(s))][:1]
    elif field == "co_quan_ban_hanh" and md.co_quan_ban_hanh:
        have = set(content_syllables(md.co_quan_ban_hanh))
        for s in p.sentences:
            syl = content_syllables(p.quote(s))
            if (
                syl
                and len(syl) <= 12
                and sum(x in have for x in syl) >= 0.8 * len(syl)
                and extract_facts(p.quote(s)).empty
            ):
                spans.append(s)
            if len(spans) >= 3:
                break
    elif field == "trich_yeu" and md.trich_yeu:
        spans = _covering(p, md.trich_yeu)
    return [line for line in (_cited(p, s) for s in spans) if line]


def _code(text: str) -> str:
    m = re.search(r"\d+\s*[-/]\s*\S+", text)
    return m.group(0) if m else ""


def _covering(p: Passage, value: str) -> list[Span]:
    """Consecutive sentences of ``p`` whose text makes up ``value`` (a multi-line trích yếu)."""
    want = normalize(value).text
    head = want[:40]
    for i, s in enumerate(p.sentences):
        if (
            norm(p.quote(s))[:40]
            and norm(p.quote(s)) in want
            and want.startswith(norm(p.quote(s))[: len(head)])
        ):
            out = [s]
            got = norm(p.quote(s))
            for t in p.sentences[i + 1 :]:
                if len(got) >= len(want) - 3 or norm(p.quote(t)) not in want:
                    break
                out.append(t)
                got += " " + norm(p.quote(t))
            return [(out[0][0], out[-1][1])]
    return []


def _lead(e: DocEntry, extra: str = "") -> str:
    """A fact-free lead line naming the document ("Kế hoạch của Ban Thường vụ Tỉnh ủy Tuyên Quang:")."""
    md = e.metadata
    who = md.co_quan_ban_hanh or (f"tỉnh {e.province}" if e.province else "")
    text = f"{md.loai_van_ban or 'Văn bản'}{' của ' + who if who else ''}{extra}"
    text = re.sub(r"\d", "", text).strip()
    return text[:110] + ":"


# ---------------------------------------------------------------------------- metadata
_TYPE_NUMBER = re.compile(
    r"\b(ke hoach|chi thi|nghi quyet|quyet dinh|huong dan|cong van|thong bao|ket luan|chuong trinh|de an"
    r"|quy dinh|thong tu|nghi dinh|luat) so (?:may|bao nhieu|nao)\b"
)
_IMPLEMENTS = re.compile(r"\b(?:thuc hien|trien khai|can cu|theo|quan triet|cu the hoa)\b")


def _cited_number(question: str, number: str) -> bool:
    """The number follows an implementing verb ("… thực hiện Thông báo kết luận 160"): it names what
    the question's document implements, not the document asked about."""
    folded = fold(question).lower()
    m = re.search(rf"(?<!\d){int(number)}(?!\d)|(?<!\d)0+{int(number)}(?!\d)", folded)
    return bool(m and _IMPLEMENTS.search(" ".join(folded[: m.start()].split()[-5:])))


def _subjects(
    u: Understanding, graph: ReferenceGraph, hits: Sequence[SearchHit]
) -> tuple[list[DocEntry], str]:
    """Documents the question is about: those it names by number, else the top search hit's."""
    for ref in u.numbers:
        key = (
            number_key(ref.full)
            if ref.full
            else f"{int(ref.number)}-{ref.initials}"
            if ref.initials
            else None
        )
        if key is None:
            continue
        found = graph.find(key)
        if found:
            return found, ""
        if not _cited_number(u.question, ref.number):
            # the question is about a document the corpus lacks, though texts may cite it (its date,
            # issuer … are stated where it is cited): the passages answer, not the catalogue
            return [], "external"
    if hits:
        return [graph.entries[hits[0].chunk.doc_id]], ""
    return [], ""


def metadata_answer(
    u: Understanding, searcher: Any, hits: Sequence[SearchHit], question: str = ""
) -> DocAnswer | None:
    """One field of the document(s) the question names: by number; "các kế hoạch …" or a range of
    years: every document passing the filters and about the topic; else the top search hit's."""
    graph = graph_of(searcher)
    several = not u.numbers and (u.plural or (u.year_from or 0) != (u.year_to or 0))
    if several and u.has_filters:
        allowed = filtered_docs(u, graph) or ()
        topic = _topic(question, u, drop_field=True)
        subjects = [graph.entries[d] for d in allowed if _about(graph.entries[d], searcher, topic)]
        missing = ""
    else:
        subjects, missing = _subjects(u, graph, hits)
    if missing or not subjects or u.field is None:
        return None
    asked = _TYPE_NUMBER.search(fold(question).lower()) if u.field == "so_ky_hieu" else None
    if asked and not any(fold(e.metadata.loai_van_ban or "").lower() == asked.group(1) for e in subjects):
        return None  # "… là đề án số mấy": the number of a document of another type, cited in the text
    ps = _Passages(searcher)
    lines: list[str] = []
    notes: list[str] = []
    label = FIELD_LABELS[u.field]
    for e in newest_first(subjects)[:MAX_LISTED]:
        head = _meta_chunk(searcher, e.doc_id, HEADER_PATH)
        hp = ps.of(head) if head is not None else None
        body = _field_lines(u.field, e, hp, ps, searcher, graph)
        if not body:
            notes.append(f"{e.label()} không ghi {label}.")
            continue
        ident = [
            line
            for f in ("so_ky_hieu", "ngay_ban_hanh")
            if f != u.field and (f == "so_ky_hieu" or len(subjects) > 1)
            for line in _header_lines(hp, e, f)
        ]
        lines += [_lead(e, f" — {label}"), *body, *ident]
    if not lines:
        return DocAnswer("", (), notes=tuple(notes), refusal=notes[0] if notes else None)
    return DocAnswer("\n".join(lines), tuple(ps.items), notes=tuple(notes))


def _field_lines(
    field: str, e: DocEntry, hp: Passage | None, ps: _Passages, searcher: Any, graph: ReferenceGraph
) -> list[str]:
    if field == "nguoi_ky":
        sig = _meta_chunk(searcher, e.doc_id, SIGNATURE_PATH)
        if sig is None or not e.metadata.nguoi_ky:
            return []
        p = ps.of(sig)
        lines = p.signature_lines
        if not lines:
            return []
        name = _line(p, lines[-1])
        if len(lines) >= 2:
            both = f"{name}, {_line(p, lines[-2])}"
            if find_evidence(both, p).supports:
                return [f"- {both} [{p.n}]"]
        return [f"- {name} [{p.n}]"]
    if field == "references":
        out = []
        seen: set[int] = set()
        for r in graph.implements(e.doc_id):
            c = _chunk_at(searcher, e.doc_id, r.span[0])
            if c is None:
                continue
            p = ps.of(c)
            span = min(
                (s for s in (*p.sentences, *p.note_sentences) if s[0] <= r.span[0] < s[1]),
                key=lambda s: s[1] - s[0],
                default=None,
            )
            if span is None or span[0] in seen:
                continue
            seen.add(span[0])
            line = _cited(p, span)
            if line:
                out.append(line)
        return out
    return _header_lines(hp, e, field)


# ---------------------------------------------------------------------------- lists
def _topic(question: str, u: Understanding, drop_field: bool = False) -> set[str]:
    drop = set(_NOT_TOPIC) | (_FIELD_WORDS if drop_field else set())
    for p in u.provinces:
        drop |= set(content_syllables(p))
    return {s for s in content_syllables(question) if s not in drop and not s.isdigit()}


def _about(e: DocEntry, searcher: Any, topic: set[str]) -> bool:
    if not topic:
        return True
    doc = searcher.documents[e.doc_id]
    have = set(content_syllables(" ".join(x for x in (e.title, e.metadata.trich_yeu, doc.text[:2000]) if x)))
    return len(topic & have) >= 0.7 * len(topic)


def list_answer(question: str, u: Understanding, searcher: Any) -> DocAnswer | None:
    """Documents passing the filters whose title/opening covers the question's topic, newest first,
    each with its header lines (số, ngày, trích yếu)."""
    graph = graph_of(searcher)
    allowed = filtered_docs(u, graph)
    pool = [graph.entries[d] for d in allowed] if allowed is not None else list(graph.entries.values())
    topic = _topic(question, u)
    docs = newest_first([e for e in pool if _about(e, searcher, topic)])
    if not docs:
        return None
    ps = _Passages(searcher)
    lines: list[str] = []
    for e in docs[:MAX_LISTED]:
        head = _meta_chunk(searcher, e.doc_id, HEADER_PATH)
        if head is None:  # no header (a fragment): its first body sentence
            c = [
                x
                for x in _chunks_by_doc(searcher)[e.doc_id]
                if x.heading_path not in (HEADER_PATH, SIGNATURE_PATH)
            ]
            first = ps.of(c[0]) if c else None
            short = [sp for sp in first.sentences if sp[1] - sp[0] <= 300][:1] if first else []
            body = [x for x in [_cited(first, short[0])] if x] if first and short else []
        else:
            hp = ps.of(head)
            body = [
                *_header_lines(hp, e, "so_ky_hieu"),
                *_header_lines(hp, e, "ngay_ban_hanh"),
                *_header_lines(hp, e, "trich_yeu"),
            ]
        lines += [_lead(e), *body]
    n = len(docs)
    summary = f"Có {n} văn bản phù hợp" + (
        f" (liệt kê {MAX_LISTED} văn bản mới nhất)" if n > MAX_LISTED else ""
    )
    return DocAnswer("\n".join(lines), tuple(ps.items), summary=summary + ", mới nhất trước:")


def references_answer(u: Understanding, searcher: Any) -> DocAnswer | None:
    """Documents that implement or cite the number the question names, newest first, each with the
    sentence that cites it (preamble first)."""
    graph = graph_of(searcher)
    ref = next((r for r in u.numbers if r.full or r.initials), None)
    if ref is None:
        return None
    key = number_key(ref.full) if ref.full else f"{int(ref.number)}-{ref.initials}"
    citing = graph.citing(key)
    allowed = filtered_docs(u, graph)
    if allowed is not None:
        citing = {d: r for d, r in citing.items() if d in allowed}
    if not citing:
        return None
    ps = _Passages(searcher)
    lines: list[str] = []
    implementing = 0
    for e in newest_first([graph.entries[d] for d in citing]):
        refs = citing[e.doc_id]
        implementing += any(r.preamble for r in refs)
        head = _meta_chunk(searcher, e.doc_id, HEADER_PATH)
        ident = []
        if head is not None:
            hp = ps.of(head)
            ident = [*_header_lines(hp, e, "so_ky_hieu"), *_header_lines(hp, e, "ngay_ban_hanh")]
        body: list[str] = []
        for r in refs[:2]:
            c = _chunk_at(searcher, e.doc_id, r.span[0])
            if c is None:
                continue
            p = ps.of(c)
            spans = [s for s in (*p.sentences, *p.note_sentences) if s[0] <= r.span[0] < s[1]]
            span = min(spans, key=lambda s: s[1] - s[0], default=None)
            line = _cited(p, span) if span else None
            if line and line not in body:
                body.append(line)
        if body:
            lines += [_lead(e), *ident, *body]
    if not lines:
        return None
    name = ref.full or ref.number
    summary = f"Có {len(citing)} văn bản thực hiện hoặc trích dẫn {name}"
    if implementing:
        summary += f" ({implementing} văn bản nêu ở phần căn cứ)"
    internal = [x.label() for x in graph.find(key)]
    notes = (f"{name} có trong kho: {internal[0]}.",) if internal else ()
    return DocAnswer("\n".join(lines), tuple(ps.items), summary=summary + ", mới nhất trước:", notes=notes)


def key_in_corpus(u: Understanding, graph: ReferenceGraph) -> bool:
    return any(
        key_matches(number_key(r.full) or "", e.key)
        for r in u.numbers
        if r.full
        for e in graph.entries.values()
    )
