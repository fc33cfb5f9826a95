"""ONNX Runtime embedder: the same sentence-transformers model, run by onnxruntime on CPU.

The model's transformer is exported once to ONNX (cached under ``<cache>/onnx/<checksum>/``, written
atomically); tokenization, pooling and normalization follow the model folder's own sentence-transformers
configuration. The vectors equal the torch ones (cosine ≥ 0.9999, tested), so the manifest checksum is
the weights' checksum either way: an index built with one runtime is searched with the other.

On 2 cores it embeds passages ~1.4x and single queries ~2.5x faster than torch, and a search process
never loads torch's copy of the weights (see eval/bench). Only mean / CLS pooling with optional
normalization is supported; any other pipeline uses the torch runtime (``supports`` says why).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from retrieval.embedding import PrefixedEncoder
from retrieval.settings import Settings

ONNX_EXPORT_VERSION = "st-onnx-v2"  # bump when the export changes: cached files are then redone
_POOLINGS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}


def read_pipeline(folder: Path) -> tuple[str, bool, int | None, bool]:
    """(pooling, normalize, max_seq_length, lower_case) of a sentence-transformers folder;
    ValueError when the folder's pipeline is not Transformer → Pooling(mean|cls) [→ Normalize]."""
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        raise ValueError(f"'{folder}' không phải thư mục mô hình sentence-transformers (thiếu modules.json)")
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ValueError(f"chuỗi mô-đun {kinds} chưa được hỗ trợ trên ONNX")
    pool_cfg = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    modes = [name for key, name in _POOLINGS.items() if pool_cfg.get(key)]
    others = [k for k, v in pool_cfg.items() if k.startswith("pooling_mode_") and v and k not in _POOLINGS]
    if len(modes) != 1 or others:
        raise ValueError("chỉ hỗ trợ pooling mean hoặc CLS trên ONNX")
    st_cfg_file = folder / "sentence_bert_config.json"
    st_cfg = json.loads(st_cfg_file.read_text(encoding="utf-8")) if st_cfg_file.is_file() else {}
    return modes[0], kinds[-1] == "Normalize", st_cfg.get("max_seq_length"), bool(st_cfg.get("do_lower_case"))


def supports(model_path: str) -> str | None:
    """None when the ONNX runtime can run this model; otherwise the reason it cannot."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "onnxruntime chưa được cài"
    folder = Path(model_path)
    if not folder.is_dir():
        return f"'{model_path}' không phải thư mục cục bộ"
    if not (folder / "tokenizer.json").is_file():
        return "thiếu tokenizer.json (tokenizer nhanh)"
    try:
        read_pipeline(folder)
    except (ValueError, OSError, KeyError) as exc:
        return str(exc)
    return None


def export_onnx(model_path: Path, target: Path) -> Path:
    """Export the transformer of a sentence-transformers folder to ``target`` (atomic), without its
    token-embedding table: that goes to ``embeddings.npy`` beside it and is looked up by the caller
    from a memory map, so only the rows of tokens actually seen occupy memory (the table is 384 of the
    470 MB of e5-small). ``model.onnx`` is written last: its presence means the export is complete."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path), device="cpu")
    hf = model[0].auto_model.eval()
    table = hf.get_input_embeddings().weight.detach().cpu().numpy().astype(np.float32)

    class _Encoder(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask):
            out = self.inner(inputs_embeds=inputs_embeds, attention_mask=attention_mask)
            return out.last_hidden_state

    enc = model.tokenizer(["query: xin chào", "passage: một hai ba bốn"], padding=True, return_tensors="pt")
    embeds = torch.from_numpy(table[enc["input_ids"].numpy()])
    axes = {0: "batch", 1: "seq"}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about data-dependent shapes: expected
            torch.onnx.export(
                _Encoder(hf),
                (embeds, enc["attention_mask"]),
                str(tmp / "model.onnx"),
                input_names=["inputs_embeds", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes},
                opset_version=17,
                dynamo=False,
            )
        np.save(tmp / "embeddings.npy", table)
        os.replace(tmp / "embeddings.npy", target.parent / "embeddings.npy")
        os.replace(tmp / "model.onnx", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def ensure_onnx(model_path: Path, cache_dir: Path, checksum: str) -> Path:
    """The cached ONNX file of these weights, exported first if missing (one process at a time)."""
    from filelock import FileLock

    folder = cache_dir / "onnx" / f"{checksum[:24]}-{ONNX_EXPORT_VERSION}"
    target = folder / "model.onnx"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".lock")):
        if not target.is_file():
            # In a child process: torch's copy of the weights never stays in this process's memory.
            cmd = [sys.executable, "-m", "retrieval.embedding_onnx", str(model_path), str(target)]
            proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
            if proc.returncode != 0 or not target.is_file():
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                raise RuntimeError(f"Xuất mô hình sang ONNX thất bại ({model_path}): {' | '.join(tail)}")
            for stale in folder.parent.glob(f"{checksum[:24]}-*"):  # earlier export versions
                if stale != folder:
                    shutil.rmtree(stale, ignore_errors=True)
    return target


def ensure_int8(fp32: Path) -> Path:
    """``model_int8.onnx`` beside ``fp32``: onnxruntime's dynamic quantization of the graph's weights
    (MatMul weights int8 per tensor, activations quantized at run time; the token-embedding table stays
    fp32 in embeddings.npy). Made once, atomically, one process at a time. Measured
    (eval/quantize_eval.py, eval/import_bench.py): passages 1.3x, a whole import 1.36x faster; hybrid
    MRR@10 −0.4 point on ALQAC but −2.0 on the real-document questions, hence not the default."""
    import logging

    from filelock import FileLock

    target = fp32.parent / "model_int8.onnx"
    if target.is_file():
        return target
    with FileLock(str(fp32.parent / ".lock")):
        if not target.is_file():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = fp32.parent / ".model_int8.onnx.tmp"
            level = logging.getLogger().level
            logging.getLogger().setLevel(logging.ERROR)  # onnxruntime's "consider pre-processing" note
            try:
                quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
            finally:
                logging.getLogger().setLevel(level)
            os.replace(tmp, target)
    return target


class FastTokenizer:
    """The folder's tokenizer.json through the ``tokenizers`` library: the same ids as the
    transformers fast tokenizer (tested through the vectors), without importing transformers and
    torch (~500 MB less in a search process)."""

    def __init__(self, tokenizer, max_length: int, pad_id: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.pad_id = pad_id

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text (special tokens added, truncated to max_length, not padded)."""
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def pad(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(x) for x in batch)
        ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, x in enumerate(batch):
            ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        return ids, mask

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.pad(self.ids(texts))


def token_batches(lengths: list[int], max_batch: int, max_tokens: int) -> list[list[int]]:
    """Indices longest first, cut into batches of at most ``max_batch`` texts whose padded size
    (texts × longest) stays within ``max_tokens`` (a single longer text is a batch of its own)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    for i in order:
        cur = batches[-1] if batches else None
        if cur and len(cur) < max_batch and (len(cur) + 1) * lengths[cur[0]] <= max_tokens:
            cur.append(i)
        else:
            batches.append([i])
    return batches


def load_tokenizer(folder: Path, max_length: int) -> FastTokenizer:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    pad = "<pad>"
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        f = folder / name
        if f.is_file():
            value = json.loads(f.read_text(encoding="utf-8")).get("pad_token")
            if value:
                pad = value["content"] if isinstance(value, dict) else value
                break
    pad_id = tok.token_to_id(pad)
    if pad_id is None:
        raise ValueError(f"không tìm thấy token đệm '{pad}' trong {folder / 'tokenizer.json'}")
    tok.enable_truncation(max_length=max_length)
    tok.no_padding()
    return FastTokenizer(tok, max_length, pad_id)


class OnnxEmbedder(PrefixedEncoder):
    """Embedder protocol on onnxruntime (CPU); same vectors and checksum as the torch embedder."""

    runtime = "onnx"

    def __init__(
        self,
        settings: Settings,
        model_path: str,
        checksum: str,
        threads: int | None = None,
        onnx_path: Path | None = None,  # another export of the same model (the benchmark's int8 one)
    ) -> None:
        import onnxruntime as ort

        folder = Path(model_path)
        self.settings = settings
        self.name = settings.embed_model
        self.checksum = checksum
        self.pooling, self.normalize, model_max, self.lower_case = read_pipeline(folder)
        self.max_length = min(settings.embed_max_seq_length, model_max or 512)
        self.tokenizer = load_tokenizer(folder, self.max_length)
        exported = ensure_onnx(folder, settings.cache_dir, checksum)
        if onnx_path is None and settings.embed_quantize == "int8":
            onnx_path = ensure_int8(exported)
        path = onnx_path or exported
        # Token-embedding rows are read from a memory map: only the tokens seen become resident.
        self.table = np.load(exported.parent / "embeddings.npy", mmap_mode="r")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 0  # 0: onnxruntime's default, one per physical core
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.dim = int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["hidden_size"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of texts taken as they are (prefixes already added)."""
        return self._encode(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Longest first, so each batch pads little; batches bounded in texts and in padded tokens
        # (attention memory grows with batch × length²); rows go back to their original places.
        token_ids = self.tokenizer.ids(texts)
        s = self.settings
        for rows in token_batches([len(x) for x in token_ids], s.embed_batch_size, s.embed_batch_tokens):
            ids, mask = self.tokenizer.pad([token_ids[i] for i in rows])
            embeds = np.ascontiguousarray(self.table[ids], dtype=np.float32)
            hidden = self.session.run(None, {"inputs_embeds": embeds, "attention_mask": mask})[0]
            if self.pooling == "cls":
                vecs = hidden[:, 0]
            else:
                m = mask[..., None].astype(np.float32)
                vecs = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            if self.normalize:
                vecs = vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
            out[np.asarray(rows)] = vecs
        return out


if __name__ == "__main__":  # used by ensure_onnx: python -m retrieval.embedding_onnx MODEL_DIR TARGET
    export_onnx(Path(sys.argv[1]), Path(sys.argv[2]))
