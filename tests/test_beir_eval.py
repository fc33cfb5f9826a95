"""`tracuu eval --beir`: a small real slice of ALQAC (read from ../shared, written to tmp), real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ALQAC = Path(__file__).resolve().parents[2] / "shared" / "bench" / "alqac"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ALQAC.exists(), reason="../shared/bench/alqac not present"),
]


@pytest.fixture(scope="module")
def beir_slice(tmp_path_factory) -> Path:
    """The first 30 labelled queries, their gold articles and 60 other articles, in BEIR format."""
    out = tmp_path_factory.mktemp("beir")
    qrels = [
        line.rstrip("\n").split("\t")
        for line in (ALQAC / "qrels.tsv").read_text(encoding="utf-8").splitlines()
    ]
    header, rows = qrels[0], qrels[1:]
    queries = [json.loads(x) for x in (ALQAC / "queries.jsonl").read_text(encoding="utf-8").splitlines()][:30]
    keep_q = {q["_id"] for q in queries}
    rows = [r for r in rows if r[0] in keep_q]
    gold = {r[1] for r in rows}
    corpus = [json.loads(x) for x in (ALQAC / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = [d for d in corpus if d["_id"] in gold] + [d for d in corpus if d["_id"] not in gold][:60]
    (out / "corpus.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8"
    )
    (out / "queries.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), "utf-8"
    )
    (out / "qrels.tsv").write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", "utf-8")
    return out


def test_eval_json_contract_and_quality(beir_slice, real_settings):
    env = dict(os.environ, TRACUU_CACHE_DIR=str(real_settings.cache_dir))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "retrieval.cli",
            "eval",
            "--beir",
            str(beir_slice),
            "--mode",
            "hybrid",
            "--json",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=900,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["mode"] == "hybrid"
    m = data["metrics"]
    assert set(m) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}
    assert all(0.0 <= v <= 1.0 for v in m.values())
    assert len(data["per_query"]) == 30 and {"query_id", "rank_of_first_gold"} <= set(data["per_query"][0])
    # 30 queries over 90 articles: a working hybrid retriever finds most gold articles in the top 5.
    assert m["recall@5"] >= 0.8 and m["mrr@10"] >= 0.6, m
    first = [r["rank_of_first_gold"] for r in data["per_query"]]
    assert sum(1 / r for r in first if r and r <= 10) / len(first) == pytest.approx(m["mrr@10"])


def test_eval_overrides_queries_and_qrels(beir_slice, real_settings, tmp_path):
    q = [json.loads(x) for x in (beir_slice / "queries.jsonl").read_text(encoding="utf-8").splitlines()][:5]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in q), "utf-8")
    env = dict(os.environ, TRACUU_CACHE_DIR=str(real_settings.cache_dir))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "retrieval.cli",
            "eval",
            "--beir",
            str(beir_slice),
            "--queries",
            str(tmp_path / "q.jsonl"),
            "--qrels",
            str(beir_slice / "qrels.tsv"),
            "--mode",
            "bm25",
            "--json",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=900,
        check=True,
    )
    assert len(json.loads(out.stdout)["per_query"]) == 5
