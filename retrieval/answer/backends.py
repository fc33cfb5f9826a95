"""Answer backends behind one interface, and the factory that picks one from the settings.

A backend turns (question, numbered passages) into answer text with [n] markers, streamed in pieces.
It never decides what the user finally sees: the Answerer checks every citation afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from retrieval.answer.chat_models import BackendUnavailable, LlamaCppChat, openai_chat
from retrieval.answer.extractive import ExtractiveBackend
from retrieval.answer.passages import Passage
from retrieval.answer.prompting import answer_prompt, format_passages

BACKEND_NAMES = ("extractive", "llamacpp", "openai")
DEFAULT_GGUF = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

__all__ = [
    "AnswerBackend",
    "BackendUnavailable",
    "ChatBackend",
    "ExtractiveBackend",
    "LlmConfig",
    "make_backend",
]


@runtime_checkable
class AnswerBackend(Protocol):
    name: str
    max_passages: int  # how many of the top passages it is given

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Answer text in pieces (LLM tokens as they come; extractive: one piece)."""
        ...


@dataclass(frozen=True)
class LlmConfig:
    model_path: Path
    n_ctx: int = 4096
    max_tokens: int = 256
    temperature: float = 0.0
    threads: int = 2
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout: float = 120.0
    max_passages: int = 3
    style: str = "free"  # "compose": retrieval.answer.llm_compose; "free": the model writes the text

    @classmethod
    def from_settings(cls, settings: Any) -> LlmConfig:
        """Read the llm_* settings; fields the Settings object lacks keep their defaults."""
        cache = Path(getattr(settings, "cache_dir", Path.home() / ".cache" / "tracuu"))
        path = getattr(settings, "llm_path", None) or cache / "llm" / DEFAULT_GGUF
        return cls(
            model_path=Path(path),
            n_ctx=int(getattr(settings, "llm_ctx", cls.n_ctx)),
            max_tokens=int(getattr(settings, "llm_max_tokens", cls.max_tokens)),
            temperature=float(getattr(settings, "llm_temperature", cls.temperature)),
            threads=int(getattr(settings, "llm_threads", cls.threads)),
            base_url=getattr(settings, "llm_base_url", None),
            model=getattr(settings, "llm_model", None),
            api_key=getattr(settings, "llm_api_key", None),
            timeout=float(getattr(settings, "llm_timeout", cls.timeout)),
            max_passages=int(getattr(settings, "llm_passages", cls.max_passages)),
            style=str(getattr(settings, "llm_style", cls.style)),
        )


class ChatBackend:
    """Any LangChain chat model fed by the prompts/ templates."""

    def __init__(self, name: str, chat_model: Any, max_passages: int = 4, prompts_dir: Path | None = None):
        self.name = name
        self.chat_model = chat_model
        self.max_passages = max_passages
        self.prompts_dir = prompts_dir
        self.prompt = answer_prompt(prompts_dir)

    def messages(self, question: str, passages: Sequence[Passage]) -> list:
        """Prompt messages; passages are dropped from the end while the model says they do not fit."""
        passages = list(passages[: self.max_passages])
        fits = getattr(self.chat_model, "fits", None)
        while True:
            msgs = self.prompt.format_messages(
                passages=format_passages(passages, self.prompts_dir), question=question
            )
            if fits is None or len(passages) <= 1 or fits(msgs):
                return msgs
            passages.pop()

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        for chunk in self.chat_model.stream(self.messages(question, passages)):
            text = chunk.text if isinstance(chunk.text, str) else str(chunk.content)
            if text:
                yield text


def _chat_backend(name: str, chat: Any, cfg: LlmConfig) -> AnswerBackend:
    if cfg.style == "compose":
        from retrieval.answer.llm_compose import ComposeBackend

        return ComposeBackend(name, chat)  # reads sentences of the top passages, not whole passages
    return ChatBackend(name, chat, cfg.max_passages)


def make_backend(name: str | None, settings: Any) -> AnswerBackend:
    """The backend called ``name`` (default: settings.answer_backend, else "extractive").

    Raises BackendUnavailable with a Vietnamese message when it cannot run (no model file, no URL).
    Loading the GGUF is deferred to the first answer.
    """
    name = name or getattr(settings, "answer_backend", None) or "extractive"
    if name == "extractive":
        return ExtractiveBackend()
    cfg = LlmConfig.from_settings(settings)
    if name == "llamacpp":
        if not cfg.model_path.is_file():
            raise BackendUnavailable(
                f"Không tìm thấy mô hình ngôn ngữ tại '{cfg.model_path}'. Hãy chạy: make setup-llm "
                "(hoặc đặt TRACUU_LLM_PATH tới một tệp GGUF)"
            )
        chat = LlamaCppChat(
            model_path=str(cfg.model_path),
            n_ctx=cfg.n_ctx,
            n_threads=cfg.threads,
            max_tokens=cfg.max_tokens,
            temperature=cfg.temperature,
        )
        return _chat_backend("llamacpp", chat, cfg)
    if name == "openai":
        if not cfg.base_url or not cfg.model:
            raise BackendUnavailable(
                "Backend 'openai' cần TRACUU_LLM_BASE_URL (ví dụ http://127.0.0.1:8080/v1) "
                "và TRACUU_LLM_MODEL"
            )
        chat = openai_chat(cfg.base_url, cfg.model, cfg.api_key, cfg.max_tokens, cfg.timeout)
        return _chat_backend("openai", chat, cfg)
    raise BackendUnavailable(f"Không có backend '{name}'; chọn một trong: {', '.join(BACKEND_NAMES)}")
