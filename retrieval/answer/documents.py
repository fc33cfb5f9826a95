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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.answer.evidence import find_evidence
from retrieval.answer.facts import _FUNCTION_WORDS, content_syllables, extract_facts
from retrieval.answer.normalize import fold, norm, normalize
from retrieval.answer.passages import Passage
from retrieval.answer.value_spans import narrow, value_pattern
from retrieval.catalog.graph import DocEntry, ReferenceGraph, build_graph, number_key
from retrieval.document.header_lines import wrapped
from retrieval.types import Chunk, SearchHit, Span
from retrieval.understand import Understanding

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
FIELD_WORDS = frozenset(
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
    """The reference graph of the searcher's documents, built once per searcher (cheap). Documents with
    passages flagged at ingest (addressed to an assistant, chat-template tokens) are left out: they never
    ground an answer, a list or a count."""
    graph = getattr(searcher, "_tracuu_graph", None)
    if graph is None:
        flagged = getattr(searcher, "flagged_docs", None)
        if flagged is None:
            flagged = {c.doc_id for c in searcher.chunks if getattr(c, "flags", ())}
        graph = build_graph(d for d in searcher.documents.values() if d.doc_id not in flagged)
        searcher._tracuu_graph = graph
    return graph


def chunks_by_doc(searcher: Any) -> Mapping[str, list[Chunk]]:
    """Each document's chunks in index order: read on demand from a searcher that can
    (``Searcher.chunks_of``: nothing held per chunk), else grouped once from its chunk list."""
    if hasattr(searcher, "chunks_of"):
        return _ChunksOf(searcher)
    by_doc = getattr(searcher, "_tracuuchunks_by_doc", None)
    if by_doc is None:
        by_doc = defaultdict(list)
        for c in searcher.chunks:
            by_doc[c.doc_id].append(c)
        searcher._tracuuchunks_by_doc = by_doc
    return by_doc


class _ChunksOf(Mapping):
    """doc_id → its chunks (an empty list for an unknown document, as the grouped dict gives)."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher

    def __getitem__(self, doc_id: str) -> list[Chunk]:
        return self._searcher.chunks_of(doc_id)

    def __iter__(self):
        return iter(self._searcher.documents)

    def __len__(self) -> int:
        return len(self._searcher.documents)


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
        # a header without body / type (a fragment): its title must name them ("Kế hoạch Mặt trận …");
        # an untitled web page is not one of the bodies / types asked for
        cq = fold(e.metadata.co_quan_ban_hanh or e.title or "").lower()
        if u.body_keys and not any(fold(k).lower() in cq for k in u.body_keys):
            continue
        loai = fold(e.metadata.loai_van_ban or "").lower()
        title = fold(e.title or "").lower()
        if u.doc_types and not any(
            fold(t).lower() in loai if loai else title.startswith(fold(t).lower()) for t in u.doc_types
        ):
            continue
        out.append(e.doc_id)
    return tuple(out)


def newest_first(entries: Sequence[DocEntry]) -> list[DocEntry]:
    return sorted(
        entries, key=lambda e: (e.metadata.ngay_ban_hanh or str(e.year or 0), e.doc_id), reverse=True
    )


class PassageBook:
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


def meta_chunk(searcher: Any, doc_id: str, path: tuple[str, ...]) -> Chunk | None:
    return next((c for c in chunks_by_doc(searcher).get(doc_id, ()) if c.heading_path == path), None)


def chunk_at(searcher: Any, doc_id: str, pos: int) -> Chunk | None:
    for c in chunks_by_doc(searcher).get(doc_id, ()):
        if any(s <= pos < e for s, e in (*c.spans, *c.footnote_spans)):
            return c
    return None


def line_text(p: Passage, span: Span) -> str:
    return " ".join(p.quote(span).replace("*", " ").split())


def cited_line(p: Passage, span: Span) -> str | None:
    """The line for ``span`` with its marker, if the citation check will accept it."""
    claim = line_text(p, span)
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


def header_lines(p: Passage | None, e: DocEntry, field: str) -> list[str]:
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
        whole = (_whole_date(p, i) for i in range(len(p.sentences)))
        spans = [s for s in whole if _DATE_LINE.search(" ".join(p.quote(s).split()))][:1]
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
    if field in ("so_ky_hieu", "ngay_ban_hanh"):  # the cell of a joined header row, not the whole row
        spans = [_value_cell(p, s, e, field) for s in spans]
    return [line for line in (cited_line(p, s) for s in spans) if line]


def header_lines_of(p: Passage | None, e: DocEntry, fields: Sequence[str]) -> list[str]:
    """Header lines of several fields, each line once (one joined header row may state several)."""
    return list(dict.fromkeys(line for f in fields for line in header_lines(p, e, f)))


def _value_cell(p: Passage, span: Span, e: DocEntry, field: str) -> Span:
    """The cell (or window) of the header line ``span`` that holds the field's value."""
    pattern = value_pattern(field, e)
    if pattern is None and field == "ngay_ban_hanh":
        pattern = _DATE_LINE
    text = p.quote(span)
    m = pattern.search(text) if pattern is not None else None
    if m is None:
        return span
    cs, ce = narrow(text, (0, len(text)), m.span())
    return (span[0] + cs, span[0] + ce)


_QUOTES = "“”\"' "
_SUBJECT_LEAD = re.compile(r"^[“\"]?(?:v/v|về việc)\s*:?\s*", re.IGNORECASE)  # also a quoted "“V/v …”"


def _whole_date(p: Passage, i: int) -> Span:
    """The date line ``p.sentences[i]`` with the lines a web copy wrapped off it, by the header
    parser's own rule (``header_lines.wrapped``): the place's first word above ("Tam" / "Kỳ, ngày …"),
    the month or year below ("… tháng 08" / "năm 2024", "… năm" / "2019")."""
    sents = p.sentences
    start, end = sents[i]
    if i > 0 and wrapped(p.quote(sents[i - 1]).strip(), p.quote(sents[i]).strip()):
        start = sents[i - 1][0]
    for j in range(i + 1, min(i + 3, len(sents))):
        if not wrapped(" ".join(p.quote((start, end)).split()), p.quote(sents[j]).strip()):
            break
        end = sents[j][1]
    return (start, end)


def _code(text: str) -> str:
    m = re.search(r"\d+\s*[-/]\s*\S+", text)
    return m.group(0) if m else ""


def _covering(p: Passage, value: str) -> list[Span]:
    """Consecutive sentences of ``p`` whose text makes up ``value`` (a multi-line trích yếu)."""
    want = normalize(value).text
    head = want[:40]
    for i, s in enumerate(p.sentences):
        first = _SUBJECT_LEAD.sub("", norm(p.quote(s))).strip(_QUOTES)  # "V/v tổ chức …": what follows
        if first[:40] and first in want and want.startswith(first[: len(head)]):
            out = [s]
            got = first
            for t in p.sentences[i + 1 :]:
                piece = norm(p.quote(t)).strip(_QUOTES)
                if len(got) >= len(want) - 3 or piece not in want:
                    break
                out.append(t)
                got += " " + piece
            return [(out[0][0], out[-1][1])]
    return []


def lead_line(e: DocEntry, extra: str = "") -> str:
    """A fact-free lead line naming the document ("Kế hoạch của Ban Thường vụ Tỉnh ủy Tuyên Quang:")."""
    md = e.metadata
    who = md.co_quan_ban_hanh or (f"tỉnh {e.province}" if e.province else "")
    if md.co_quan_ban_hanh and e.province and fold(e.province).lower() not in fold(who).lower():
        who += f" ({e.province})"  # "Ban Thường vụ Tỉnh ủy (Kiên Giang)": which province's body
    text = f"{md.loai_van_ban or 'Văn bản'}{' của ' + who if who else ''}{extra}"
    text = re.sub(r"\d", "", text).strip()
    return text[:110] + ":"


def topic_of(question: str, u: Understanding, drop_field: bool = False) -> set[str]:
    drop = set(_NOT_TOPIC) | (FIELD_WORDS if drop_field else set())
    for p in u.provinces:
        drop |= set(content_syllables(p))
    return {s for s in content_syllables(question) if s not in drop and not s.isdigit()}


def is_about(e: DocEntry, searcher: Any, topic: set[str]) -> bool:
    if not topic:
        return True
    doc = searcher.documents[e.doc_id]
    have = set(content_syllables(" ".join(x for x in (e.title, e.metadata.trich_yeu, doc.text[:2000]) if x)))
    return len(topic & have) >= 0.7 * len(topic)
