"""Where a catalogue value is printed in the document: the fallback citation of a metadata answer when
the header or signature passage has no line of its own for the field (a web page whose header is one
joined row, a signature block the structure parser did not recognise, a date stated in the text only).

The cited line is a verbatim piece of the document: the table cell, or a short window of the sentence,
that holds the value, so the citation check accepts it and the reader sees where the value stands."""

from __future__ import annotations

from typing import Any

from retrieval.answer.documents import PassageBook, chunks_by_doc, cited_line
from retrieval.answer.value_spans import narrow, value_pattern
from retrieval.catalog.graph import DocEntry


def value_lines(field: str, e: DocEntry, ps: PassageBook, searcher: Any) -> list[str]:
    """The cited line where the document prints its ``field`` value (the signer from the end)."""
    pattern = value_pattern(field, e)
    if pattern is None:
        return []
    text = searcher.documents[e.doc_id].text
    chunks = sorted(chunks_by_doc(searcher).get(e.doc_id, ()), key=lambda c: c.start)
    if field == "nguoi_ky":
        chunks.reverse()
    for c in chunks:
        ranges = [(max(s, c.start), min(t, c.end)) for s, t in (c.spans or [(c.start, c.end)])]
        hits = [m.span() for a, b in ranges for m in pattern.finditer(text, a, b)]
        if not hits:
            continue
        hit = hits[-1] if field == "nguoi_ky" else hits[0]
        p = ps.of(c)
        sentence = next((sp for sp in p.sentences if sp[0] <= hit[0] and hit[1] <= sp[1]), None)
        if sentence is None:  # a value wrapped over lines ("Ngày 22 tháng" / "7 năm 2021"): those lines
            over = [sp for sp in p.sentences if sp[0] < hit[1] and hit[0] < sp[1]]
            if not over or len(over) > 3 or not (over[0][0] <= hit[0] and hit[1] <= over[-1][1]):
                continue
            sentence = (over[0][0], over[-1][1])
        line = cited_line(p, narrow(text, sentence, hit))
        if line:
            return [line]
    return []
