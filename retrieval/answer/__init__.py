"""Answering questions from retrieved passages, with every citation checked against the source.

Public API:
- ``Answerer`` (``answer``/``stream``), ``make_backend``, ``AnswerBackend``, ``BackendUnavailable``
- ``Answer``, ``Citation``, ``REFUSAL``
- ``check_answer``, ``parse_markers`` (pure citation checking)
- ``confidence``, ``calibrate_refusal``
- ``TracuuRetriever`` (LangChain), ``answer_prompt``

Heavy imports (LangChain, llama.cpp) happen only when these names are first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Answerer": "answerer",
    "AnswerStream": "answerer",
    "make_backend": "backends",
    "AnswerBackend": "backends",
    "LlmConfig": "backends",
    "BackendUnavailable": "chat_models",
    "Answer": "result",
    "Citation": "result",
    "REFUSAL": "result",
    "check_answer": "citations",
    "parse_markers": "citations",
    "confidence": "confidence",
    "calibrate_refusal": "confidence",
    "Calibration": "confidence",
    "TracuuRetriever": "retriever",
    "answer_prompt": "prompting",
    "Passage": "passages",
    "passages_from_hits": "passages",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
