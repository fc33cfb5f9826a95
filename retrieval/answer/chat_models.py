"""LangChain chat models for the LLM backends: a local GGUF through llama-cpp-python, and any
OpenAI-compatible server through langchain-openai's ChatOpenAI.

``LlamaCppChat`` is a small BaseChatModel (langchain-community's ChatLlamaCpp would pull in a large
dependency tree for the same few lines). The loaded model is cached per (path, n_ctx, threads), so a
CLI session or the Streamlit app loads it once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_LOCK = threading.Lock()  # llama.cpp contexts are not thread-safe (Streamlit runs sessions in threads)


class BackendUnavailable(RuntimeError):
    """The backend cannot run here; the message tells the user what to do (Vietnamese)."""


@lru_cache(maxsize=2)
def load_llama(path: str, n_ctx: int, n_threads: int):
    # llama.cpp's OpenMP threads spin while waiting; on 2 cores shared with other processes that made
    # generation ~10x slower (measured 0.6 vs 5.5 tokens/s). Must be set before the library loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise BackendUnavailable(
            "Chưa cài llama-cpp-python. Hãy chạy: make setup-llm (hoặc bash scripts/setup_llm.sh .venv)"
        ) from exc
    if not Path(path).is_file():
        raise BackendUnavailable(
            f"Không tìm thấy mô hình ngôn ngữ tại '{path}'. Hãy chạy: make setup-llm "
            "(hoặc đặt TRACUU_LLM_PATH tới một tệp GGUF)"
        )
    return Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False)


def to_openai_messages(messages: list[BaseMessage]) -> list[dict]:
    """Role/content dicts; chat-template tokens in any content are made inert (messages may come from
    a caller's own LangChain prompt, not only from prompting.answer_prompt)."""
    from retrieval.document.injection import neutralize

    return [{"role": _ROLES.get(m.type, "user"), "content": neutralize(m.text)} for m in messages]


class LlamaCppChat(BaseChatModel):
    """Chat completion with a local GGUF model (llama-cpp-python), greedy by default."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 256
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "tracuu-llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens}

    def _llama(self):
        return load_llama(self.model_path, self.n_ctx, self.n_threads)

    def count_tokens(self, messages: list[BaseMessage]) -> int:
        """Approximate prompt length in model tokens (content only, plus a few per message)."""
        llm = self._llama()
        return sum(len(llm.tokenize(m.text.encode("utf-8"), add_bos=False)) + 8 for m in messages)

    def fits(self, messages: list[BaseMessage]) -> bool:
        return self.count_tokens(messages) + self.max_tokens + 32 <= self.n_ctx

    def _params(self, stop: list[str] | None, **kwargs: Any) -> dict:
        return {
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "stop": stop or None,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with _LOCK:
            out = self._llama().create_chat_completion(
                messages=to_openai_messages(messages), **self._params(stop, **kwargs)
            )
        text = out["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with _LOCK:
            parts = self._llama().create_chat_completion(
                messages=to_openai_messages(messages), stream=True, **self._params(stop, **kwargs)
            )
            for part in parts:
                token = part["choices"][0].get("delta", {}).get("content")
                if not token:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                if run_manager:
                    run_manager.on_llm_new_token(token, chunk=chunk)
                yield chunk


def openai_chat(base_url: str, model: str, api_key: str | None, max_tokens: int, timeout: float):
    """ChatOpenAI for an OpenAI-compatible server (llama.cpp server, vLLM, Ollama, ...)."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise BackendUnavailable("Chưa cài langchain-openai: pip install 'langchain-openai>=1.6,<2'") from exc
    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key or "khong-can-khoa",
        temperature=0.0,
        max_tokens=max_tokens,
        timeout=timeout,
        max_retries=1,
    )
