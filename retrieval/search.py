"""Hybrid search over a built index: BM25 (with and without diacritics) + dense, fused by weighted RRF.

The index is loaded once (chunks, documents, BM25 arrays, FAISS) and checked against the current
settings: a model or version mismatch is a clear error asking the user to re-index.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval import store
from retrieval.accents import AccentModel
from retrieval.catalog.series import province
from retrieval.chunking import CHUNKER_VERSION, HEADER_PATH, SIGNATURE_PATH
from retrieval.embedding import Embedder, expected_checksum, make_embedder
from retrieval.fusion import rrf, standardized, top, zscore_fusion
from retrieval.indexing.tables import ChunkTable, DocumentTable, VectorRows, lights
from retrieval.normalize import normalize_query
from retrieval.query import clean_query, number_refs
from retrieval.segment import SEGMENTER_VERSION, has_diacritics, segment, strip_accents
from retrieval.settings import MODES, Settings
from retrieval.sparse import DiskPostings, rank
from retrieval.types import SearchHit
from retrieval.vectors import VectorIndex

DENSE_SAMPLE = 4096  # chunks whose cosines estimate the dense score distribution (all, below this)
# Number mentions, indexed at load: "427-KH/TU", "05 - CT/TW" -> "427-KH", "5-CT"; "số 12" -> "12".
_CODE_MENTION = re.compile(r"\b(\d+)(?:\s*/\s*(?:19|20)\d\d)?\s*[-/]\s*([A-Za-zĐđ]+)")  # "99/2025/NQ-…" too
_LEADING_NUMBER = re.compile(r"\s*(\d+)")
_SO_MENTION = re.compile(r"\bsố\s+(\d+)\b", re.IGNORECASE)


_POOL: ThreadPoolExecutor | None = None


def _question_pool() -> ThreadPoolExecutor:
    """Workers that embed questions: onnxruntime and torch release the GIL, so the question's
    vector is computed while BM25 scores on the other core (started on the first search)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tracuu-question")
    return _POOL


@dataclass(frozen=True)
class SearchFilters:
    year_from: int | None = None
    year_to: int | None = None
    co_quan: tuple[str, ...] = ()  # any of these substrings of cơ quan ban hành
    loai: tuple[str, ...] = ()  # any of these loại văn bản
    doc_ids: tuple[str, ...] = ()
    tinh: tuple[str, ...] = ()  # any of these provinces (catalogue province of the issuer)
    include_undated: bool = False  # a year range keeps documents without a date
    no_co_quan: bool = False  # with ``co_quan``: documents without a known issuer pass too

    def empty(self) -> bool:
        return (
            not (self.year_from or self.year_to or self.co_quan or self.loai or self.doc_ids or self.tinh)
            and not self.no_co_quan
        )

    def admits(self, doc: store.StoredDocument) -> bool:
        """Whether ``doc`` passes these filters (the searcher restricts its rows to such documents)."""
        y = doc.year
        if y is None and (self.year_from or self.year_to) and not self.include_undated:
            return False
        if y is not None and (self.year_from and y < self.year_from or self.year_to and y > self.year_to):
            return False
        cq = (doc.metadata.co_quan_ban_hanh or "").lower()
        if self.co_quan or self.no_co_quan:
            named = any(c.lower() in cq for c in self.co_quan if c)
            if not (named or (self.no_co_quan and not cq)):
                return False
        if self.loai and (doc.metadata.loai_van_ban or "") not in self.loai:
            return False
        if self.tinh and province(doc.metadata) not in self.tinh:
            return False
        return not self.doc_ids or doc.doc_id in self.doc_ids


class Searcher:
    def __init__(self, index_dir: Path, settings: Settings, embedder: Embedder | None = None) -> None:
        self.index_dir = index_dir
        self.settings = settings
        self._embedder = embedder
        store.load_generation(index_dir, self._load)

    def _load(self, manifest: dict, gen: Path) -> None:
        """Open one generation (held by the caller's reader lock): chunks, documents, BM25 postings and
        vectors stay in its files and are read when a search needs them (indexing/tables.py); the
        descriptors kept open keep the files readable after a later commit removes the generation."""
        # per-source records (a line per file: 75 MB of JSON at 765k files) are the indexer's, not ours
        self.manifest = {k: v for k, v in manifest.items() if k != "sources"}
        self._check_versions()
        documents = DocumentTable(gen / "documents.jsonl")
        chunks = ChunkTable(gen / "chunks.jsonl")
        n = len(chunks)
        self.bm25_acc = DiskPostings(gen / "bm25_acc", n)
        self.bm25_plain = DiskPostings(gen / "bm25_plain", n)
        rows = VectorRows(gen / "vectors.npy")
        self.dense = VectorIndex.load(gen / "dense.faiss", rows=rows, mmap=True)
        self._prepare(documents, chunks, rows(dense_sample_rows(n)), AccentModel.load(gen / "accents.json"))

    def _prepare(
        self,
        documents: Mapping[str, store.StoredDocument],
        chunks: Sequence,
        sample_vectors: np.ndarray,
        accents: AccentModel,
    ) -> None:
        """What every store's searcher derives from its documents and chunks (rows = chunk positions),
        in one pass over the chunks: each document's rows, the number mentions, the header and
        signature rows, the documents with flagged passages."""
        self.documents, self.chunks = documents, chunks
        self._sample_vectors = sample_vectors  # dense score statistics for z-score fusion
        self.accents = accents
        doc_rows: dict[str, list[int]] = defaultdict(list)
        mentions: dict[str, list[int]] = defaultdict(list)
        self._meta_rows: dict[tuple[str, ...], dict[str, int]] = {HEADER_PATH: {}, SIGNATURE_PATH: {}}
        self.flagged_docs: set[str] = set()
        for row, (doc_id, path, text, flagged) in enumerate(_chunk_fields(chunks)):
            doc_rows[doc_id].append(row)
            for key in _mention_keys(text):
                mentions[key].append(row)
            if path in self._meta_rows:
                self._meta_rows[path].setdefault(doc_id, row)
            if flagged:
                self.flagged_docs.add(doc_id)
        self._doc_rows = {d: np.array(r, dtype=np.int64) for d, r in doc_rows.items()}
        self._mentions = {k: np.unique(np.array(v, dtype=np.int64)) for k, v in mentions.items()}
        self._doc_numbers: dict[str, list[tuple[str, str]]] = defaultdict(list)  # number -> (doc, số/ký hiệu)
        for doc in lights(self.documents):
            m = _LEADING_NUMBER.match(doc.metadata.so_ky_hieu or "")
            if m:
                self._doc_numbers[_mention_key(m.group(1), None)].append(
                    (doc.doc_id, doc.metadata.so_ky_hieu)
                )

    def chunks_of(self, doc_id: str) -> list:
        """The chunks of one document, in index order."""
        return [self.chunks[int(r)] for r in self._doc_rows.get(doc_id, ())]

    @classmethod
    def load(cls, index_dir: Path, settings: Settings, embedder: Embedder | None = None) -> Searcher:
        return cls(index_dir, settings, embedder)

    def _check_versions(self) -> None:
        m = self.manifest
        problems = []
        if m.get("chunker_version") != CHUNKER_VERSION:
            problems.append(f"bộ chia đoạn {m.get('chunker_version')} ≠ {CHUNKER_VERSION}")
        if m.get("segmenter_version") != SEGMENTER_VERSION:
            problems.append(f"bộ tách từ {m.get('segmenter_version')} ≠ {SEGMENTER_VERSION}")
        if m.get("model", {}).get("name") != self.settings.embed_model:
            problems.append(
                f"mô hình nhúng '{m.get('model', {}).get('name')}' ≠ '{self.settings.embed_model}'"
            )
        if problems:
            raise store.IndexMismatchError(
                f"Chỉ mục tại '{self.index_dir}' không khớp cấu hình hiện tại ({'; '.join(problems)}). "
                f"Hãy lập chỉ mục lại: {self.reindex_hint}"
            )

    @property
    def reindex_hint(self) -> str:
        """The command that rebuilds this store (named in mismatch messages)."""
        return f"tracuu index --index-dir {self.index_dir}"

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        if self._embedder.checksum != self.manifest["model"]["checksum"]:
            raise store.IndexMismatchError(
                f"Chỉ mục tại '{self.index_dir}' được tạo bằng mô hình có mã kiểm tra "
                f"{self.manifest['model']['checksum'][:12]}…, "
                f"mô hình hiện tại là {self._embedder.checksum[:12]}…. "
                f"Hãy lập chỉ mục lại: {self.reindex_hint}"
            )
        return self._embedder

    def check_model(self) -> None:
        """Raise IndexMismatchError now (without loading the model) if the weights changed."""
        if expected_checksum(self.settings) != self.manifest["model"]["checksum"]:
            _ = self.embedder  # raises with the full message

    # ------------------------------------------------------------------ filters
    def allowed_rows(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.empty():
            return None
        ok_docs = {d.doc_id for d in lights(self.documents) if filters.admits(d)}
        parts = [self._doc_rows[d] for d in ok_docs if d in self._doc_rows]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ retrieval
    def _signals(self, query: str, mode: str, allowed: np.ndarray | None) -> tuple[dict, dict]:
        """Per-retriever ranked candidates, and the standardized scores of every chunk that any
        retriever returned (z-scores: BM25 over the whole index, dense over a fixed sample), kept for
        those rows only (``{row: z}``: no array the size of the index per question)."""
        q = normalize_query(clean_query(query))
        accented = has_diacritics(q)
        q_acc = q if accented else self.accents.restore(q)
        depth = self.settings.candidates
        ranked: dict[str, list[int]] = {}
        bm25: list[np.ndarray] = []
        qv = None
        embedding = None
        if mode in ("dense", "hybrid"):  # the question's vector is computed while BM25 scores
            embedding = _question_pool().submit(self.embedder.embed_queries, [q_acc])
        if mode in ("bm25", "hybrid"):
            bm25.append(self._bm25(segment(q_acc).accented, plain=False))
            ranked["bm25"] = rank(bm25[0], depth, allowed).tolist()
            if not accented:  # the user's own unaccented words, against the unaccented index
                bm25.append(self._bm25(segment(q).plain, plain=True))
                ranked["bm25_plain"] = rank(bm25[1], depth, allowed).tolist()
        if embedding is not None:
            qv = embedding.result()[0]
            ranked["dense"] = self._dense_search(qv, depth, allowed).tolist()
        cands = np.asarray(sorted({i for r in ranked.values() for i in r}), dtype=np.int64)
        z: dict[str, dict[int, float]] = {}
        raw: dict = {}
        rows = cands.tolist()
        if bm25:
            zb = np.mean([standardized(b, cands) for b in bm25], axis=0)
            z["bm25"] = dict(zip(rows, zb.tolist(), strict=True))
            raw["bm25"] = bm25[0]  # every row's raw score
        if qv is not None:
            cos = self._cosines(cands, qv) if len(cands) else np.zeros(0, dtype=np.float32)
            sample = self._sample_vectors @ qv
            zd = (cos - sample.mean()) / max(float(sample.std()), 1e-6)
            z["dense"] = dict(zip(rows, zd.tolist(), strict=True))
            raw["dense"] = dict(zip(rows, cos.tolist(), strict=True))
        return ranked, {"z": z, "raw": raw}

    # The store's three primitives (a database store overrides them; rows are positions in chunks).
    def _bm25(self, tokens: list[str], plain: bool) -> np.ndarray:
        """BM25 score of every row for one tokenized query (accented or accent-stripped index)."""
        return (self.bm25_plain if plain else self.bm25_acc).scores(tokens)

    def _dense_search(self, qv: np.ndarray, depth: int, allowed: np.ndarray | None) -> np.ndarray:
        """Rows of the ``depth`` nearest chunks to the query vector, nearest first."""
        ids, _ = self.dense.search(qv, depth, allowed)
        return ids

    def _cosines(self, rows: np.ndarray, qv: np.ndarray) -> np.ndarray:
        # from FAISS's own copy: reading vectors.npy too would keep both copies resident
        return self.dense.vectors(rows) @ qv

    def search(
        self, query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        if mode not in MODES:
            raise ValueError(f"chế độ tìm kiếm phải là một trong {', '.join(MODES)}")
        if not query.strip() or not self.chunks:
            return []
        allowed = self.allowed_rows(filters)
        ranked, sig = self._signals(query, mode, allowed)
        weights = {
            "bm25": self.settings.bm25_weight,
            "bm25_plain": self.settings.bm25_weight,
            "dense": self.settings.dense_weight,
        }
        if mode == "hybrid" and self.settings.fusion == "rrf":
            fused = rrf(ranked, weights, k=self.settings.rrf_k)
        else:  # standardized scores; with one retriever this is simply its own order
            cands = sorted({i for r in ranked.values() for i in r})
            fused = zscore_fusion(cands, sig["z"], weights)
        fused = self._boost_numbers(query, fused, allowed)
        fused = self._boost_metadata(query, fused)
        ranks = {name: {cid: r for r, cid in enumerate(ids, start=1)} for name, ids in ranked.items()}
        hits = []
        for n, (row, score) in enumerate(top(fused, k), start=1):
            c = self.chunks[row]
            doc, text = self._light(c.doc_id), self.document_text(c.doc_id)
            scores = {name: r.get(row) for name, r in ranks.items()}
            if "dense" in sig["raw"]:
                scores["dense_cosine"] = float(sig["raw"]["dense"].get(row, 0.0))
            if "bm25" in sig["raw"]:
                scores["bm25_score"] = float(sig["raw"]["bm25"][row])
            hits.append(
                SearchHit(
                    rank=n,
                    score=float(score),
                    chunk=c,
                    display_text=text[c.start : c.end],
                    metadata=doc.metadata,
                    title=doc.title,
                    scores=scores,
                    footnote_texts=tuple(text[s:e] for s, e in c.footnote_spans),
                )
            )
        return hits

    def _boost_numbers(
        self, query: str, fused: dict[int, float], allowed: np.ndarray | None
    ) -> dict[int, float]:
        """A document named by its number ranks first; chunks mentioning a named number rank high."""
        refs = number_refs(query) or number_refs(strip_accents(query))
        if not refs:
            return fused
        fused = dict(fused)
        own = [
            doc_id
            for r in refs
            for doc_id, so_ky_hieu in self._doc_numbers.get(_mention_key(r.number, None), ())
            if r.matches(so_ky_hieu)
        ]
        own_rows = {int(i) for d in own for i in self._doc_rows.get(d, ())}
        mention = 0.5 / (self.settings.rrf_k + 1)
        patterns = [r.pattern() for r in refs]
        cands = {int(i) for r in refs for i in self._mentions.get(_mention_key(r.number, r.initials), ())}
        cands -= own_rows
        if allowed is not None:
            allowed_set = set(allowed.tolist())
            own_rows &= allowed_set
            cands &= allowed_set
        for row in own_rows:
            fused[row] = fused.get(row, 0.0) + 1.0
        for row in cands:
            if any(p.search(self.chunks[row].text) for p in patterns):
                fused[row] = fused.get(row, 0.0) + mention
        return fused

    def _boost_metadata(self, query: str, fused: dict[int, float]) -> dict[int, float]:
        """A question for a document's signer (its date, issuer, trích yếu) ranks the signature (header)
        chunk of each of the top documents just above that document's best chunk. ("số mấy" often asks
        the number of a document the text cites: the number boost handles numbers.)"""
        from retrieval.understand import understand

        u = understand(query)
        if u.intent != "metadata" or u.field in ("references", "so_ky_hieu") or not fused:
            return fused
        rows = self._meta_rows[SIGNATURE_PATH if u.field == "nguoi_ky" else HEADER_PATH]
        best: dict[str, float] = {}
        for row, score in sorted(fused.items(), key=lambda x: -x[1]):
            doc = self.chunks[row].doc_id
            if doc not in best:
                best[doc] = score
            if len(best) >= 3:
                break
        fused = dict(fused)
        for doc, score in best.items():
            if doc in rows:
                fused[rows[doc]] = max(fused.get(rows[doc], score), score + 1e-6)
        return fused

    def collection(self, doc_id: str) -> str | None:
        """The collection a document belongs to (server mode); None in the index folder."""
        return None

    def source_root(self, doc_id: str, corpus_dir: Path) -> Path:
        """The folder a document's ``source`` is relative to: the corpus folder, or its sub-folder of
        the document's collection (where the server mode keeps a collection's files)."""
        return corpus_dir / (self.collection(doc_id) or "")

    def document(self, doc_id: str) -> store.StoredDocument:
        return self.documents[doc_id]

    def document_text(self, doc_id: str) -> str:
        text = getattr(self.documents, "text", None)  # DocumentTable: the text alone, no full record
        return text(doc_id) if text is not None else self.documents[doc_id].text

    def _light(self, doc_id: str) -> store.StoredDocument:
        """A document's metadata and title (without its text where the store can give that)."""
        light = getattr(self.documents, "light", None)
        return light(doc_id) if light is not None else self.documents[doc_id]


def dense_sample_rows(n: int) -> np.ndarray:
    """The fixed rows whose cosines estimate the dense score distribution (all of them below 4096)."""
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n, size=min(n, DENSE_SAMPLE), replace=False)) if n else np.zeros(0, int)


def _mention_key(number: str, initials: str | None) -> str:
    num = number.lstrip("0") or "0"
    letters = re.sub(r"\d+$", "", initials or "")  # "QH15" -> "QH": postings keep letters only
    return f"{num}-{strip_accents(letters).upper()}" if letters else num


def _mention_keys(text: str) -> set[str]:
    """The number mentions of one chunk ("427-KH", "số 12" -> "12"): the number boost checks its exact
    patterns on the rows of these postings only (a superset of the matches), never on every chunk."""
    keys = {_mention_key(m.group(1), m.group(2)) for m in _CODE_MENTION.finditer(text)}
    keys.update(_mention_key(m.group(1), None) for m in _SO_MENTION.finditer(text))
    return keys


def _chunk_fields(chunks: Sequence) -> Iterator[tuple[str, tuple[str, ...], str, bool]]:
    """(doc_id, heading path, text, flagged) of each chunk: straight from the JSON lines of a
    ChunkTable (no Chunk objects built at load), else from the chunks themselves."""
    if isinstance(chunks, ChunkTable):
        for line in chunks.lines.iter_lines():
            d = json.loads(line)
            yield d["doc_id"], tuple(d["heading_path"]), d["text"], bool(d.get("flags"))
    else:
        for c in chunks:
            yield c.doc_id, tuple(c.heading_path), c.text, bool(getattr(c, "flags", ()))
