"""List, count and reference questions answered from the catalogue: which documents (newest first),
how many, each with the header lines or the sentence that qualifies it."""

from __future__ import annotations

from typing import Any

from retrieval.answer.documents import (
    MAX_LISTED,
    DocAnswer,
    PassageBook,
    chunk_at,
    chunks_by_doc,
    cited_line,
    filtered_docs,
    graph_of,
    header_lines_of,
    is_about,
    lead_line,
    meta_chunk,
    newest_first,
    topic_of,
)
from retrieval.catalog.graph import number_key
from retrieval.chunking import HEADER_PATH, SIGNATURE_PATH
from retrieval.understand import Understanding


def list_answer(question: str, u: Understanding, searcher: Any) -> DocAnswer | None:
    """Documents passing the filters whose title/opening covers the question's topic, newest first,
    each with its header lines (số, ngày, trích yếu)."""
    graph = graph_of(searcher)
    allowed = filtered_docs(u, graph)
    pool = [graph.entries[d] for d in allowed] if allowed is not None else list(graph.entries.values())
    topic = topic_of(question, u)
    docs = newest_first([e for e in pool if is_about(e, searcher, topic)])
    if not docs:
        return None
    ps = PassageBook(searcher)
    lines: list[str] = []
    for e in docs[:MAX_LISTED]:
        head = meta_chunk(searcher, e.doc_id, HEADER_PATH)
        if head is None:  # no header (a fragment): its first body sentence
            c = [
                x
                for x in chunks_by_doc(searcher)[e.doc_id]
                if x.heading_path not in (HEADER_PATH, SIGNATURE_PATH)
            ]
            first = ps.of(c[0]) if c else None
            short = [sp for sp in first.sentences if sp[1] - sp[0] <= 300][:1] if first else []
            body = [x for x in [cited_line(first, short[0])] if x] if first and short else []
        else:
            hp = ps.of(head)
            body = header_lines_of(hp, e, ("so_ky_hieu", "ngay_ban_hanh", "trich_yeu"))
        lines += [lead_line(e), *body] if body else []  # nothing citable: no empty heading
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
    ps = PassageBook(searcher)
    lines: list[str] = []
    implementing = 0
    for e in newest_first([graph.entries[d] for d in citing]):
        refs = citing[e.doc_id]
        implementing += any(r.preamble for r in refs)
        head = meta_chunk(searcher, e.doc_id, HEADER_PATH)
        ident = []
        if head is not None:
            hp = ps.of(head)
            ident = header_lines_of(hp, e, ("so_ky_hieu", "ngay_ban_hanh"))
        body: list[str] = []
        for r in refs[:2]:
            c = chunk_at(searcher, e.doc_id, r.span[0])
            if c is None:
                continue
            p = ps.of(c)
            spans = [s for s in (*p.sentences, *p.note_sentences) if s[0] <= r.span[0] < s[1]]
            span = min(spans, key=lambda s: s[1] - s[0], default=None)
            line = cited_line(p, span) if span else None
            if line and line not in body:
                body.append(line)
        if body:
            lines += [lead_line(e), *ident, *body]
    if not lines:
        return None
    name = ref.full or ref.number
    summary = f"Có {len(citing)} văn bản thực hiện hoặc trích dẫn {name}"
    if implementing:
        summary += f" ({implementing} văn bản nêu ở phần căn cứ)"
    internal = [x.label() for x in graph.find(key)]
    notes = (f"{name} có trong kho: {internal[0]}.",) if internal else ()
    return DocAnswer("\n".join(lines), tuple(ps.items), summary=summary + ", mới nhất trước:", notes=notes)
