"""The naive baseline (run inside a worker): LangChain ``FAISS.from_texts`` + ``HuggingFaceEmbeddings``
on the same local e5 folder, fixed 1,000-character chunks of each file, no segmentation, no BM25.

For fairness the e5 prefixes are used ("passage: " for chunks, "query: " for queries, through the
sentence-transformers ``prompt`` argument) and embeddings are L2-normalized (FAISS's default L2
distance then ranks exactly like cosine). Everything else is LangChain's defaults (batch size 32).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import bench_util as bu
import numpy as np
from bench_core import load_data, settings_for, timed_quality

CHUNK_CHARS = 1000


def fixed_chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size) if text[i : i + size].strip()]


def run_baseline(cfg: dict) -> dict:
    import faiss
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings

    from retrieval.embedding import resolve_model_path

    bu.quiet_libraries()
    settings = settings_for(cfg)
    path = resolve_model_path(settings)
    t0 = time.perf_counter()
    emb = HuggingFaceEmbeddings(
        model_name=path,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "prompt": bu.PASSAGE_PREFIX},
        query_encode_kwargs={"normalize_embeddings": True, "prompt": bu.QUERY_PREFIX},
    )
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    texts, metas = [], []
    for f in sorted(Path(cfg["corpus_dir"]).glob("*.txt")):
        for piece in fixed_chunks(f.read_text(encoding="utf-8")):
            texts.append(piece)
            metas.append({"doc_id": f.stem, "source": f.name})
    split_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = FAISS.from_texts(texts, emb, metadatas=metas)
    index_s = time.perf_counter() - t0
    rss = bu.peak_rss_mb()
    data = load_data(cfg)

    def search(text: str) -> list[str]:
        return [d.metadata["doc_id"] for d in store.similarity_search(text, k=50)]

    quality = timed_quality(search, data)
    out = {
        "model_load_s": load_s,
        "split_s": split_s,
        "index_s": index_s,
        "build_s": split_s + index_s,
        "n_chunks": len(texts),
        "peak_rss_mb": rss,
        "quality": {"dense": quality},
    }
    if cfg.get("scale_n"):
        out["scale"] = _scaled(store, texts, metas, emb, cfg, data, faiss, InMemoryDocstore, FAISS, Document)
    return out


def _scaled(store, texts, metas, emb, cfg, data, faiss, docstore_cls, faiss_cls, document_cls) -> dict:
    """The same store grown to ~scale_n chunks with perturbed copies (like tracuu's scaled index)."""
    rng = np.random.default_rng(cfg.get("seed", 0))
    base = store.index.reconstruct_n(0, store.index.ntotal)
    vecs, docs = [base], [document_cls(page_content=t, metadata=m) for t, m in zip(texts, metas, strict=True)]
    rep = 0
    while sum(len(v) for v in vecs) < cfg["scale_n"]:
        rep += 1
        vecs.append(bu.perturb_vectors(base, rng))
        for t, m in zip(texts, metas, strict=True):
            words = bu.perturb_words(t.split(), rng)
            docs.append(
                document_cls(page_content=" ".join(words), metadata={**m, "doc_id": f"{m['doc_id']}~r{rep}"})
            )
    allv = np.vstack(vecs)[: cfg["scale_n"]]
    docs = docs[: len(allv)]
    index = faiss.IndexFlatL2(allv.shape[1])
    index.add(np.ascontiguousarray(allv, dtype=np.float32))
    ids = [str(uuid.uuid4()) for _ in docs]
    big = faiss_cls(emb, index, docstore_cls(dict(zip(ids, docs, strict=True))), dict(enumerate(ids)))

    def search(text: str) -> list[str]:
        return [d.metadata["doc_id"] for d in big.similarity_search(text, k=50)]

    res = timed_quality(search, data, limit=cfg["search_queries"], map_id=lambda d: d.split("~r", 1)[0])
    return {"n_chunks": len(allv), "dense": res, "peak_rss_mb": bu.peak_rss_mb()}
