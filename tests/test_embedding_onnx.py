"""ONNX Runtime embedder: same vectors as the torch sentence-transformers model on the sample plans,
interchangeable on one index, and picked from settings with clear fallbacks."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedding import (
    EmbedderError,
    SentenceTransformerEmbedder,
    make_embedder,
    pick_runtime,
    resolve_model_path,
)
from retrieval.embedding_onnx import OnnxEmbedder, read_pipeline, supports
from retrieval.search import Searcher
from retrieval.settings import Settings, SettingsError

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _sample_paragraphs(n: int = 120) -> list[str]:
    paras = []
    for path in sorted(CORPUS.glob("*")):
        if path.suffix.lower() in (".txt", ".md") and not path.name.lower().startswith("readme"):
            text = path.read_text(encoding="utf-8")
            paras += [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    idx = np.linspace(0, len(paras) - 1, num=min(n, len(paras))).round().astype(int)
    return [paras[i] for i in sorted(set(idx))]


@pytest.fixture(scope="module")
def torch_embedder(real_settings):
    return SentenceTransformerEmbedder(real_settings.with_(embed_runtime="torch"))


@pytest.mark.slow
def test_onnx_vectors_equal_torch_vectors(real_embedder, torch_embedder):
    assert isinstance(real_embedder, OnnxEmbedder), "the default runtime on CPU is ONNX"
    texts = _sample_paragraphs() + ["", "a", "bao cao nam gui truoc ngay nao", "x " * 2000]
    for fn in ("embed_passages", "embed_queries"):
        a, b = getattr(real_embedder, fn)(texts), getattr(torch_embedder, fn)(texts)
        assert a.shape == b.shape == (len(texts), 384) and a.dtype == np.float32
        cos = (a * b).sum(axis=1)
        assert cos.min() >= 0.9999, (fn, float(cos.min()), texts[int(cos.argmin())][:80])
    assert real_embedder.checksum == torch_embedder.checksum


@pytest.mark.slow
def test_index_built_with_onnx_is_searched_with_torch(sample_index, real_settings, searcher, torch_embedder):
    other = Searcher.load(sample_index, real_settings, torch_embedder)
    for q in ("Báo cáo năm phải gửi trước ngày nào?", "tuyen truyen hoc tap va lam theo", "427-KH/TU"):
        a = [h.chunk.chunk_id for h in searcher.search(q, k=5)]
        b = [h.chunk.chunk_id for h in other.search(q, k=5)]
        assert a == b, q


def test_runtime_choice_from_settings(real_settings):
    assert pick_runtime(real_settings)[0] == "onnx"
    assert pick_runtime(real_settings.with_(embed_runtime="torch"))[0] == "torch"
    assert pick_runtime(real_settings.with_(embed_quantize="int8"))[0] == "onnx"
    assert pick_runtime(real_settings.with_(embed_quantize="int8", embed_runtime="torch"))[0] == "torch"
    assert pick_runtime(real_settings.with_(device="cuda"))[0] == "torch"
    hub_name = real_settings.with_(embed_model="some-org/not-a-local-folder")
    runtime, why = pick_runtime(hub_name)
    assert runtime == "torch" and "không phải thư mục cục bộ" in why
    with pytest.raises(EmbedderError, match="ONNX"):
        make_embedder(hub_name.with_(embed_runtime="onnx"))
    with pytest.raises(SettingsError, match="TRACUU_EMBED_RUNTIME"):
        Settings(embed_runtime="tensorrt")
    with pytest.raises(SettingsError, match="CPU"):
        Settings(embed_runtime="onnx", device="cuda")
    Settings(embed_runtime="onnx", embed_quantize="int8")  # int8 on ONNX: onnxruntime's quantization


@pytest.mark.slow
def test_int8_onnx_embedder_is_close_to_fp32_and_marks_its_index(real_settings, real_embedder):
    """TRACUU_EMBED_QUANTIZE=int8 on ONNX: a quantized copy of the exported graph, vectors close to fp32
    (not equal: an index built with one is not searched with the other, the checksum says which)."""
    from retrieval.embedding import expected_checksum

    s8 = real_settings.with_(embed_quantize="int8")
    emb8 = make_embedder(s8)
    assert isinstance(emb8, OnnxEmbedder) and emb8.session is not real_embedder.session
    texts = _sample_paragraphs(60)
    a, b = emb8.embed_passages(texts), real_embedder.embed_passages(texts)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.9 and cos.mean() >= 0.97 and cos.mean() < 0.99999, float(cos.mean())
    assert emb8.checksum == expected_checksum(s8) == real_embedder.checksum + "+int8"
    q = emb8.embed_queries(["Báo cáo năm phải gửi trước ngày nào?"])
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-4


def test_unsupported_pooling_falls_back_to_torch(real_settings, tmp_path):
    src = Path(resolve_model_path(real_settings))
    assert read_pipeline(src)[:2] == ("mean", True)
    folder = tmp_path / "maxpool"
    shutil.copytree(src, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    cfg_file = folder / "1_Pooling" / "config.json"
    cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    cfg.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    cfg_file.write_text(json.dumps(cfg), encoding="utf-8")
    assert "pooling" in supports(str(folder))
    assert pick_runtime(real_settings.with_(embed_model=str(folder)))[0] == "torch"
    (folder / "modules.json").unlink()
    assert "modules.json" in supports(str(folder))


@pytest.mark.slow
def test_search_process_embeds_queries_without_torch(real_settings):
    """The ONNX path never imports torch or transformers, and reads token embeddings from a memory map."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from retrieval.settings import Settings\n"
        "from retrieval.embedding import make_embedder\n"
        f"e = make_embedder(Settings(cache_dir=Path({str(real_settings.cache_dir)!r})))\n"
        "v = e.embed_queries(['báo cáo năm gửi trước ngày nào'])\n"
        "assert v.shape == (1, 384) and abs(float(np.linalg.norm(v)) - 1) < 1e-4\n"
        "assert isinstance(e.table, np.memmap), type(e.table)\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
