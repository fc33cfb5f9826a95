"""Numbered passages given to an answer backend, and their sentences as exact document spans."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from retrieval.chunking import SIGNATURE_PATH
from retrieval.document.wraps import continues, text_width
from retrieval.types import DocMetadata, SearchHit, Span

# A period after one of these does not end a sentence ("TP. Hồ Chí Minh", "I. MỤC ĐÍCH", "TM. CHÍNH PHỦ").
_ABBREV = frozenset(
    ["tp", "tx", "tt", "q", "p", "ths", "ts", "pgs", "gs", "bs", "ks", "st", "v.v", "vd"]
    + ["tm", "kt", "tl", "tuq"]  # a signature's authority: "TM. ĐOÀN CHỦ TỊCH …", "KT. CHỦ TỊCH"
)
_NOT_SENTENCE_END = re.compile(r"^(?:[ivxlcdm]+|\d+(?:\.\d+)*|[a-zđ])$", re.IGNORECASE)
_BOUNDARY = re.compile(r"[.!?…]+[\"”’)]?\s+")
_BULLET = re.compile(r"^(?:[-–—•+*·]|\u2022)\s+")
_LONG_SENTENCE = 400  # longer sentences are also offered as their ";"-separated clauses
_SIGNED_MARK = re.compile(r"^\(?\s*(?:đã ký|đã kí|ký|kí)(?:\s+và đóng dấu)?\s*\)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk as the n-th numbered passage of a prompt."""

    n: int  # 1-based number shown to the backend as [n]
    chunk_id: str
    doc_id: str
    source: str  # relative to the corpus dir
    title: str
    text: str  # cleaned chunk text (what the LLM reads)
    display_text: str  # the document text from ``start``, exactly as the user is shown it
    start: int  # document offset of display_text[0]
    spans: tuple[Span, ...]  # document spans of the body pieces (footnotes in between excluded)
    metadata: DocMetadata = field(default_factory=DocMetadata)
    heading_path: tuple[str, ...] = ()
    rank: int = 0
    score: float = 0.0
    scores: dict = field(default_factory=dict)
    # (document span, exact document text) of each footnote the chunk cites
    notes: tuple[tuple[Span, str], ...] = ()

    @classmethod
    def from_hit(cls, n: int, hit: SearchHit) -> Passage:
        c = hit.chunk
        return cls(
            n=n,
            chunk_id=c.chunk_id,
            doc_id=c.doc_id,
            source=c.source,
            title=hit.title,
            text=c.text,
            display_text=hit.display_text,
            start=c.start,
            spans=tuple(c.spans) or ((c.start, c.end),),
            metadata=hit.metadata,
            heading_path=tuple(c.heading_path),
            rank=hit.rank,
            score=float(hit.score),
            scores=dict(hit.scores),
            notes=_notes(hit),
        )

    @property
    def end(self) -> int:
        return self.start + len(self.display_text)

    def quote(self, span: Span) -> str:
        """Document text of a document span inside this passage (its body or a cited footnote)."""
        if not (self.start <= span[0] <= span[1] <= self.end):
            for (s, e), text in self.notes:
                if s <= span[0] <= span[1] <= e:
                    return text[span[0] - s : span[1] - s]
        return self.display_text[span[0] - self.start : span[1] - self.start]

    def inline(self, span: Span) -> str:
        """``quote`` as one line of an answer: a sentence wrapped over lines reads with spaces."""
        return self.quote(span).replace("\n", " ")

    @property
    def is_signature(self) -> bool:
        return self.heading_path == SIGNATURE_PATH

    @cached_property
    def note_sentences(self) -> tuple[Span, ...]:
        """Document spans of the sentences of the footnotes this passage cites."""
        return tuple(sp for (s, _), text in self.notes for sp in split_sentences(text, base=s))

    @cached_property
    def signature_lines(self) -> tuple[Span, ...]:
        """For the signature passage: its lines ("TM. BAN THƯỜNG TRỰC", "PHÓ CHỦ TỊCH", the name),
        spaces and markdown "*" trimmed, "(Đã ký)" left out; the signer's name is the last one."""
        if not self.is_signature:
            return ()
        out: list[Span] = []
        pos = self.start
        for line in self.display_text.split("\n"):
            s, e = pos, pos + len(line)
            pos = e + 1
            lead = len(line) - len(line.lstrip(" \t\u00a0*"))
            piece = line.strip(" \t\u00a0*")
            if piece and not _SIGNED_MARK.match(piece):
                out.append((s + lead, s + lead + len(piece)))
        return tuple(out)

    @cached_property
    def sentences(self) -> tuple[Span, ...]:
        """Document spans of the sentences of the body pieces, bullets and outer spaces trimmed
        (the lines of a signature passage); a sentence wrapped over lines is one sentence."""
        if self.is_signature and self.signature_lines:
            return self.signature_lines
        width = text_width(self.display_text)
        out: list[Span] = []
        for s, e in self._runs():
            text = self.display_text[s - self.start : e - self.start]
            out.extend(split_sentences(text, base=s, width=width, wraps=True))
        return tuple(out)

    def _runs(self) -> list[Span]:
        """The body pieces inside the passage, consecutive lines (one line break apart) merged."""
        out: list[Span] = []
        for s, e in self.spans:
            s, e = max(s, self.start), min(e, self.end)
            if e <= s:
                continue
            gap = self.display_text[out[-1][1] - self.start : s - self.start] if out else ""
            if out and s >= out[-1][1] and not gap.strip() and gap.count("\n") == 1:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out

    @cached_property
    def support_text(self) -> str:
        """Everything a claim citing this passage may rest on: body, cleaned text, title, metadata."""
        md = self.metadata
        extra = [self.title, md.so_ky_hieu or "", md.trich_yeu or "", iso_to_vn(md.ngay_ban_hanh)]
        notes = [text for _, text in self.notes]
        return "\n".join([self.display_text, self.text, *notes, *extra, *self.heading_path])


def _notes(hit: SearchHit) -> tuple[tuple[Span, str], ...]:
    """The chunk's cited footnotes with their exact document text (from the hit; the chunk's cleaned
    footnote text only where the hit carries none and it has the span's length)."""
    c = hit.chunk
    spans = tuple(tuple(s) for s in c.footnote_spans)
    texts = hit.footnote_texts if len(hit.footnote_texts) == len(spans) else c.footnotes
    return tuple(((s, e), t) for (s, e), t in zip(spans, texts, strict=False) if e > s and len(t) == e - s)


def iso_to_vn(iso: str | None) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    return f"{int(m[3])}/{int(m[2])}/{m[1]}" if m else ""


def split_sentences(
    text: str, base: int = 0, clauses: bool = True, width: int = 0, wraps: bool = False
) -> list[Span]:
    """Spans (offset by ``base``) of the sentences of ``text``: split at line breaks and at sentence
    punctuation followed by a capital letter, never after abbreviations or list numbers ("1.", "I.").
    Leading bullets and surrounding whitespace are trimmed; empty pieces are skipped. With ``clauses``
    the ';'-clauses of a very long sentence follow it (overlapping candidates for quoting; an answer
    being checked is split without them). With ``wraps`` a line that continues the sentence of the line
    before (``retrieval.document.wraps.continues``; ``width``: the text's hard-wrap width) is not a break.
    """
    out: list[Span] = []
    for line_start, line in _logical_lines(text, width, wraps):
        cut = 0
        for m in _BOUNDARY.finditer(line):
            nxt = line[m.end() : m.end() + 1]
            if not nxt or not (nxt.isupper() or nxt in '"“(-•'):
                continue
            prev = _BULLET.sub("", line[cut : m.start()].strip()).split()
            if prev and prev[-1].lower().rstrip(".") in _ABBREV:
                continue
            if len(prev) == 1 and _NOT_SENTENCE_END.match(prev[0]):  # "1. Mục đích", "I. MỤC ĐÍCH"
                continue
            out.extend(_trimmed(line, cut, m.end(), line_start + base))
            cut = m.end()
        out.extend(_trimmed(line, cut, len(line), line_start + base))
    return _with_clauses(text, out, base) if clauses else out


def _logical_lines(text: str, width: int, wraps: bool) -> list[tuple[int, str]]:
    """(offset, text) of each line of ``text``; with ``wraps``, a wrapped sentence's lines as one."""
    out: list[tuple[int, str]] = []
    pos = 0
    last = ""
    for line in text.split("\n"):
        if wraps and out and line.strip() and continues(last, line, width):
            start, joined = out[-1]
            out[-1] = (start, f"{joined}\n{line}")
        else:
            out.append((pos, line))
        pos += len(line) + 1
        last = line
    return out


def _trimmed(line: str, s: int, e: int, offset: int) -> list[Span]:
    piece = line[s:e]
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    b = _BULLET.match(piece)
    if b:
        lead += b.end()
        piece = piece[b.end() :]
    if not piece.strip(" .;:,-"):
        return []
    return [(offset + s + lead, offset + s + lead + len(piece))]


def _with_clauses(text: str, spans: list[Span], base: int) -> list[Span]:
    """Add the ';'-clauses of very long sentences after the sentence itself."""
    out: list[Span] = []
    for s, e in spans:
        out.append((s, e))
        if e - s <= _LONG_SENTENCE:
            continue
        seg = text[s - base : e - base]
        cut = 0
        for m in re.finditer(r";\s+", seg):
            out.extend(_trimmed(seg, cut, m.start() + 1, s))
            cut = m.end()
        if cut:
            out.extend(_trimmed(seg, cut, len(seg), s))
    return out


def passages_from_hits(hits: Sequence[SearchHit], limit: int | None = None) -> list[Passage]:
    """Number hits 1..N in rank order, dropping repeated chunks."""
    seen: set[str] = set()
    out: list[Passage] = []
    for hit in sorted(hits, key=lambda h: h.rank):
        if hit.chunk.chunk_id in seen:
            continue
        seen.add(hit.chunk.chunk_id)
        out.append(Passage.from_hit(len(out) + 1, hit))
        if limit is not None and len(out) >= limit:
            break
    return out
