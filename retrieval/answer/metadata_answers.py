"""Metadata questions (người ký, ngày ban hành, cơ quan, số/ký hiệu, trích yếu, căn cứ) answered from
the catalogue: verbatim header / signature / preamble lines of the document(s) asked about."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from retrieval.answer.documents import (
    MAX_LISTED,
    DocAnswer,
    PassageBook,
    chunk_at,
    cited_line,
    filtered_docs,
    graph_of,
    header_lines,
    header_lines_of,
    is_about,
    lead_line,
    meta_chunk,
    newest_first,
    topic_of,
)
from retrieval.answer.normalize import fold
from retrieval.answer.passages import Passage
from retrieval.answer.value_lines import value_lines
from retrieval.catalog.graph import DocEntry, ReferenceGraph, number_key
from retrieval.chunking import HEADER_PATH, SIGNATURE_PATH
from retrieval.types import SearchHit
from retrieval.understand import FIELD_LABELS, Understanding

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
    return bool(m and _IMPLEMENTS.search(" ".join(folded[: m.start()].split()[-8:])))


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
            if not graph.citing(key):  # neither in the corpus nor cited by any of its documents
                return [], f"Không có văn bản số {ref.full or ref.number} trong các văn bản hiện có."
            # a document the corpus lacks but its texts cite (its date, issuer … are stated where it
            # is cited): the passages answer, not the catalogue
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
        topic = topic_of(question, u, drop_field=True)
        subjects = [graph.entries[d] for d in allowed if is_about(graph.entries[d], searcher, topic)]
        missing = ""
    else:
        subjects, missing = _subjects(u, graph, hits)
    if missing and missing != "external":
        return DocAnswer("", (), refusal=missing)
    if missing or not subjects or u.field is None:
        return None
    asked = _TYPE_NUMBER.search(fold(question).lower()) if u.field == "so_ky_hieu" else None
    if asked and not any(fold(e.metadata.loai_van_ban or "").lower() == asked.group(1) for e in subjects):
        return None  # "… là đề án số mấy": the number of a document of another type, cited in the text
    ps = PassageBook(searcher)
    lines: list[str] = []
    notes: list[str] = []
    asked_fields = (u.field, *u.also)
    label = ", ".join(FIELD_LABELS[f] for f in asked_fields)
    for e in newest_first(subjects)[:MAX_LISTED]:
        head = meta_chunk(searcher, e.doc_id, HEADER_PATH)
        hp = ps.of(head) if head is not None else None
        body: list[str] = []
        for f in asked_fields:
            got = _field_lines(f, e, hp, ps, searcher, graph) or value_lines(f, e, ps, searcher)
            body += [line for line in got if line not in body]
            if not got:  # never an uncited value; but a catalogued one is not "not recorded" either
                name = FIELD_LABELS[f]
                notes.append(
                    f"Không tìm được dòng ghi {name} trong {e.label()} để trích dẫn."
                    if getattr(e.metadata, f, None)
                    else f"{e.label()} không ghi {name}."
                )
        if not body:
            continue
        shown = " ".join(body).lower()
        fields = [
            f
            for f in ("so_ky_hieu", "ngay_ban_hanh")
            if f not in asked_fields and (f == "so_ky_hieu" or len(subjects) > 1)
            if not (f == "so_ky_hieu" and (e.metadata.so_ky_hieu or "\0").lower() in shown)
        ]
        ident = [line for line in header_lines_of(hp, e, fields) if line not in body]
        lines += [lead_line(e, f" — {label}"), *body, *ident]
    if not lines:
        return DocAnswer("", (), notes=tuple(notes), refusal=" ".join(dict.fromkeys(notes)) or None)
    return DocAnswer("\n".join(lines), tuple(ps.items), notes=tuple(notes))


def _field_lines(
    field: str, e: DocEntry, hp: Passage | None, ps: PassageBook, searcher: Any, graph: ReferenceGraph
) -> list[str]:
    if field == "nguoi_ky":
        sig = meta_chunk(searcher, e.doc_id, SIGNATURE_PATH)
        if sig is None or not e.metadata.nguoi_ky:
            return []
        p = ps.of(sig)
        lines = p.signature_lines
        if not lines:
            return []
        # the name line, then the role line above it ("PHÓ CHỦ TỊCH"), each quoted exactly
        return [line for line in (cited_line(p, sp) for sp in (lines[-1], *lines[-2:-1])) if line]
    if field == "references":
        out = []
        seen: set[int] = set()
        for r in graph.implements(e.doc_id):
            c = chunk_at(searcher, e.doc_id, r.span[0])
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
            line = cited_line(p, span)
            if line:
                out.append(line)
        return out
    return header_lines(hp, e, field)
