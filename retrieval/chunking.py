"""Chunking: group body blocks into retrieval units that keep their heading path and exact spans.

Rules: a chunk never crosses a top-level section (heading_path[0]); a new level-1/level-2 heading
starts a new chunk; blocks are added while the chunk stays under the token budget; one block longer
than the budget is cut at sentence ends. Token counts are estimated from syllables (Vietnamese
syllables average ~1.4 XLM-R tokens), so chunking is model-independent and versioned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from retrieval.document.injection import flag_chunks
from retrieval.types import Block, Chunk, ParsedDocument, Span

CHUNKER_VERSION = "chunk-v3"
TOKENS_PER_SYLLABLE = 1.4

_SENTENCE_END = re.compile(r"(?<=[.;!?…])\s+")


def estimate_tokens(text: str) -> int:
    return int(len(text.split()) * TOKENS_PER_SYLLABLE) + 1


def _split_block(block: Block, raw_text: str, budget: int) -> list[Block]:
    """Cut one over-long block at sentence ends; an over-long block joined from several spans (lines
    rejoined by the parser) is first cut into its spans, so no chunk grows with the document."""
    if estimate_tokens(block.text) <= budget:
        return [block]
    if len(block.spans) != 1:
        parts = [_sub(block, raw_text, s, e) for s, e in block.spans]
        return [p for part in parts for p in _split_block(part, raw_text, budget)]
    start, end = block.spans[0]
    source = raw_text[start:end]
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(source)] + [len(source)]
    pieces: list[tuple[int, int]] = []
    piece_start = 0
    for i in range(1, len(bounds)):
        if bounds[i - 1] > piece_start and estimate_tokens(source[piece_start : bounds[i]]) > budget:
            pieces.append((piece_start, bounds[i - 1]))
            piece_start = bounds[i - 1]
    pieces.append((piece_start, len(source)))
    out: list[Block] = []
    for s, e in pieces:
        text = source[s:e]
        s2 = s + len(text) - len(text.lstrip())
        e2 = s + len(text.rstrip())
        if e2 > s2:
            out.extend(_hard_split(_sub(block, raw_text, start + s2, start + e2), raw_text, budget))
    return out


def _hard_split(block: Block, raw_text: str, budget: int) -> list[Block]:
    if estimate_tokens(block.text) <= budget:
        return [block]
    start, end = block.spans[0]
    words = list(re.finditer(r"\S+", raw_text[start:end]))
    per = max(1, int(budget / TOKENS_PER_SYLLABLE))
    out = []
    for i in range(0, len(words), per):
        group = words[i : i + per]
        out.append(_sub(block, raw_text, start + group[0].start(), start + group[-1].end()))
    return out


def _sub(block: Block, raw_text: str, s: int, e: int) -> Block:
    from retrieval.normalize import normalize_text

    return Block(
        block.kind,
        normalize_text(raw_text[s:e]).text,
        ((s, e),),
        block.heading_path,
        block.level,
        block.footnote_refs,
    )


def _groups(blocks: list[Block], budget: int) -> Iterator[list[Block]]:
    cur: list[Block] = []
    cur_tokens = 0
    for b in blocks:
        t = estimate_tokens(b.text)
        top_changed = cur and (b.heading_path[:1] != cur[0].heading_path[:1])
        new_section = cur and b.kind == "heading" and b.level <= 2 and any(x.kind != "heading" for x in cur)
        if cur and (top_changed or new_section or cur_tokens + t > budget):
            yield cur
            cur, cur_tokens = [], 0
        cur.append(b)
        cur_tokens += t
    if cur:
        yield cur


def chunk_document(doc: ParsedDocument, max_tokens: int = 350) -> list[Chunk]:
    raw = doc.raw
    blocks: list[Block] = []
    for b in doc.blocks:
        blocks.extend(_split_block(b, raw.text, max_tokens))
    notes = {f.marker: f for f in doc.footnotes}
    chunks: list[Chunk] = meta_chunks(doc)
    for group in _groups(blocks, max_tokens):
        body = [b for b in group if b.kind != "heading"] or group
        path = body[0].heading_path if body[0].kind != "heading" else body[0].heading_path
        spans: list[Span] = [s for b in group for s in b.spans]
        cited = list(dict.fromkeys(r for b in group for r in b.footnote_refs if r in notes))
        start, end = spans[0][0], spans[-1][1]
        pages = [p for p in (raw.page_of(start), raw.page_of(max(start, end - 1))) if p is not None]
        ocr = (
            bool(raw.ocr_pages) and any(p in raw.ocr_pages for p in range(pages[0], pages[-1] + 1))
            if pages
            else False
        )
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#{len(chunks)}",
                doc_id=doc.doc_id,
                source=raw.source,
                heading_path=tuple(path),
                start=start,
                end=end,
                spans=tuple(spans),
                text="\n".join(b.text for b in group),
                footnotes=tuple(notes[r].text for r in cited),
                footnote_spans=tuple((notes[r].start, notes[r].end) for r in cited),
                page_start=pages[0] if pages else None,
                page_end=pages[-1] if pages else None,
                ocr=ocr,
            )
        )
    return flag_chunks(chunks, raw.text)  # passages written to steer an AI (document/injection.py)


HEADER_PATH = ("Phần đầu văn bản",)
SIGNATURE_PATH = ("Người ký",)


def _meta_chunk(doc: ParsedDocument, n: int, path: tuple[str, ...], span: Span, text: str) -> Chunk:
    raw = doc.raw
    page = raw.page_of(span[0])
    return Chunk(
        chunk_id=f"{doc.doc_id}#{n}",
        doc_id=doc.doc_id,
        source=raw.source,
        heading_path=path,
        start=span[0],
        end=span[1],
        spans=(span,),
        text=text,
        page_start=page,
        page_end=raw.page_of(span[1] - 1),
        ocr=bool(page and page in raw.ocr_pages),
    )


def meta_chunks(doc: ParsedDocument, first_n: int = 0) -> list[Chunk]:
    """The header (số/ký hiệu, cơ quan, ngày, trích yếu …) and the signature block as two searchable
    chunks, so "who signed", "which number", "issued when" find their source lines like any passage.
    Each is one contiguous span of the document; "Nơi nhận" and web footers stay out."""
    from retrieval.normalize import normalize_text

    raw, md = doc.raw, doc.metadata
    main = doc.main_blocks  # the signature is after these, before any appendix
    first = main[0].start if main else (doc.tail_start or len(raw.text))
    last = main[-1].end if main else 0
    stop = doc.tail_start if doc.tail_start is not None else len(raw.text)
    out: list[Chunk] = []
    head = raw.text[:first]
    s, e = len(head) - len(head.lstrip()), len(head.rstrip())
    if e > s:
        out.append(_meta_chunk(doc, first_n, HEADER_PATH, (s, e), normalize_text(head[s:e]).text))
    name_at = raw.text.rfind(md.nguoi_ky, 0, stop) if md.nguoi_ky else -1
    if name_at >= last and md.nguoi_ky:
        role_at = raw.text.rfind(md.chuc_vu_nguoi_ky, last, name_at) if md.chuc_vu_nguoi_ky else -1
        start = role_at if role_at >= 0 else name_at
        above = raw.text[last:start].rstrip().rsplit("\n", 1)[-1]  # "TM. BAN THƯỜNG TRỰC" above the role
        if role_at >= 0 and above.strip(" *").upper().startswith(("TM", "T/M", "KT", "Q.")):
            start = raw.text.rfind(above.strip(), last, start)
        role = f", {md.chuc_vu_nguoi_ky}" if md.chuc_vu_nguoi_ky else ""
        out.append(
            _meta_chunk(
                doc,
                first_n + len(out),
                SIGNATURE_PATH,
                (start, name_at + len(md.nguoi_ky)),
                f"Người ký: {md.nguoi_ky}{role}",
            )
        )
    return out


def index_text(title: str, chunk: Chunk) -> str:
    """What the embedder and BM25 see: document title + heading path + chunk text (+ footnotes)."""
    head = " > ".join(p for p in chunk.heading_path if p and p not in chunk.text[: len(p) + 5])
    parts = [title, head, chunk.text, *chunk.footnotes]
    return "\n".join(p for p in parts if p)
