"""Typed, frozen records passed between pipeline stages.

Data flow::

    file --ingest--> RawDocument --structure--> ParsedDocument --chunking--> Chunk
         --index--> (FAISS + BM25 + chunks.jsonl) --search--> SearchHit

Offsets (``start``/``end``/``spans``) always index ``RawDocument.text``: the
document text a user is shown. Cleaned/normalized text used for matching lives
in separate fields so a citation can always be traced back character for
character.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

Span = tuple[int, int]

METADATA_KEYS = (
    "so_ky_hieu",
    "loai_van_ban",
    "co_quan_ban_hanh",
    "dia_danh",
    "ngay_ban_hanh",
    "trich_yeu",
    "nguoi_ky",
)
# The catalogue's keys (``tracuu docs``): the seven above plus province, signer's position, references.
CATALOGUE_KEYS = (*METADATA_KEYS, "tinh", "chuc_vu_ky", "references")


@dataclass(frozen=True)
class RawDocument:
    """What an ingest loader produces from one file."""

    source: str  # path relative to the corpus dir, POSIX separators
    text: str  # display text, Unicode NFC: what the user is shown
    sha256: str  # of the file's bytes
    format: str  # "txt" | "md" | "pdf" | "docx" | "doc" | "rtf" | "odt" | "xls" | "xlsx" | "html" | "image"
    page_starts: tuple[int, ...] = ()  # char offset where page i+1 starts; () if unknown
    ocr_pages: tuple[int, ...] = ()  # 1-based page numbers whose text came from OCR
    warnings: tuple[str, ...] = ()  # non-fatal problems worth showing the user

    def page_of(self, offset: int) -> int | None:
        """1-based page number holding ``offset``, or None when pages are unknown."""
        if not self.page_starts:
            return None
        page = 0
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i
            else:
                break
        return page + 1


@dataclass(frozen=True, slots=True)
class DocMetadata:
    """Header metadata of a Vietnamese administrative document; None where absent."""

    so_ky_hieu: str | None = None  # normalized, e.g. "427-KH/TU"
    loai_van_ban: str | None = None  # e.g. "Kế hoạch"
    co_quan_ban_hanh: str | None = None  # e.g. "Ban Thường vụ Tỉnh ủy Tuyên Quang"
    dia_danh: str | None = None  # e.g. "Tuyên Quang"
    ngay_ban_hanh: str | None = None  # ISO date "2020-09-10"
    trich_yeu: str | None = None  # summary line(s) under the document type
    nguoi_ky: str | None = None  # signer's name
    chuc_vu_nguoi_ky: str | None = None  # e.g. "PHÓ BÍ THƯ THƯỜNG TRỰC"
    noi_nhan: tuple[str, ...] = ()  # recipients ("Nơi nhận"), kept out of the body
    tinh: str | None = None  # province of a local issuing body ("Quảng Ninh"); None for central bodies
    references: tuple[str, ...] = ()  # normalized numbers the preamble cites ("Căn cứ …", "Thực hiện …")

    def public(self) -> dict:
        """The seven keys of the search JSON contract."""
        return {k: getattr(self, k) for k in METADATA_KEYS}

    def catalogue(self) -> dict:
        """The catalogue's keys (``tracuu docs``): ``public()`` + tinh, chuc_vu_ky, references."""
        d = self.public()
        d["tinh"] = self.tinh
        d["chuc_vu_ky"] = self.chuc_vu_nguoi_ky
        d["references"] = list(self.references)
        return d

    def to_json(self) -> dict:
        d = asdict(self)
        d["noi_nhan"] = list(self.noi_nhan)
        d["references"] = list(self.references)
        return d

    @classmethod
    def from_json(cls, d: dict) -> DocMetadata:
        d = dict(d)
        d["noi_nhan"] = tuple(d.get("noi_nhan") or ())
        d["references"] = tuple(d.get("references") or ())
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class Footnote:
    marker: str  # "1", "10"
    text: str  # cleaned footnote text (without its marker)
    start: int  # span of the footnote text in RawDocument.text
    end: int


@dataclass(frozen=True)
class Block:
    """One body paragraph (or heading) after structure parsing and repair."""

    kind: str  # "heading" | "paragraph" | "list_item"
    text: str  # cleaned, normalized text (page breaks joined, footnote markers removed)
    spans: tuple[Span, ...]  # pieces of RawDocument.text it came from, in order
    heading_path: tuple[str, ...]  # enclosing headings, outermost first (a heading includes itself)
    level: int = 0  # 1 = "I.", 2 = "1.", 3 = "1.1.", 4 = "a)", 0 = body text
    footnote_refs: tuple[str, ...] = ()  # markers cited in this block ("1", "4", ...)

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


@dataclass(frozen=True)
class ParsedDocument:
    doc_id: str
    raw: RawDocument
    title: str  # human title, e.g. "Kế hoạch thực hiện Thông báo Kết luận số 160-TB/TW ..."
    metadata: DocMetadata
    blocks: tuple[Block, ...]
    footnotes: tuple[Footnote, ...] = ()
    tail_start: int | None = None  # raw offset where appendices / end notes after the closing begin

    @property
    def main_blocks(self) -> tuple[Block, ...]:
        """The blocks before the closing lines (without the appendices and end notes after them)."""
        if self.tail_start is None:
            return self.blocks
        return tuple(b for b in self.blocks if b.start < self.tail_start)

    @property
    def source(self) -> str:
        return self.raw.source


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str  # f"{doc_id}#{n}"
    doc_id: str
    source: str
    heading_path: tuple[str, ...]
    start: int  # into RawDocument.text
    end: int
    spans: tuple[Span, ...]  # exact pieces of RawDocument.text (footnote text in between excluded)
    text: str  # cleaned body text of the chunk (what BM25 and the embedder see, plus title/path)
    footnotes: tuple[str, ...] = ()  # texts of footnotes cited by this chunk
    footnote_spans: tuple[Span, ...] = ()  # where those footnote texts are in RawDocument.text
    page_start: int | None = None
    page_end: int | None = None
    ocr: bool = False
    flags: tuple[str, ...] = ()  # e.g. "ai_instruction": text written to steer an AI (document/injection.py)

    def to_json(self) -> dict:
        d = asdict(self)
        d["flags"] = list(self.flags)
        d["heading_path"] = list(self.heading_path)
        d["spans"] = [list(s) for s in self.spans]
        d["footnotes"] = list(self.footnotes)
        d["footnote_spans"] = [list(s) for s in self.footnote_spans]
        return d

    @classmethod
    def from_json(cls, d: dict) -> Chunk:
        d = dict(d)
        d["heading_path"] = tuple(d["heading_path"])
        d["spans"] = tuple(tuple(s) for s in d["spans"])
        d["footnotes"] = tuple(d.get("footnotes") or ())
        d["footnote_spans"] = tuple(tuple(s) for s in d.get("footnote_spans") or ())
        d["flags"] = tuple(d.get("flags") or ())  # records written before flags existed have none
        return cls(**d)


@dataclass(frozen=True)
class SearchHit:
    rank: int  # 1-based
    score: float
    chunk: Chunk
    display_text: str  # RawDocument.text[chunk.start:chunk.end]: exactly as the document shows it
    metadata: DocMetadata
    title: str
    scores: dict = field(default_factory=dict)  # per-retriever diagnostics: {"bm25": r, "dense": r}
    # RawDocument.text[s:e] for each (s, e) of chunk.footnote_spans: the cited footnotes as shown
    footnote_texts: tuple[str, ...] = ()
